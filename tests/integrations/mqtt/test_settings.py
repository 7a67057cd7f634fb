"""MQTT settings: every mistake names the key; MQTT_URL overrides the dictionary."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services.integrations.mqtt.settings import (
    PROTOCOL_V5,
    PROTOCOL_V311,
    load_config,
    parse_config,
)


def test_url_gives_host_port_and_credentials() -> None:
    config = parse_config({"URL": "mqtt://user:p%40ss@broker.example:1884"})
    assert (config.host, config.port) == ("broker.example", 1884)
    assert (config.username, config.password) == ("user", "p@ss")
    assert config.tls is None
    assert config.url == "mqtt://broker.example:1884"


def test_mqtts_defaults_to_8883_and_system_trust_store() -> None:
    config = parse_config({"URL": "mqtts://broker.example"})
    assert config.port == 8883
    assert config.tls is not None and config.tls.ca is None


def test_tls_files_are_read() -> None:
    config = parse_config(
        {"URL": "mqtts://b", "TLS": {"CA": "/ca.pem", "CERT": "/c.pem", "KEY": "/k.pem"}}
    )
    assert config.tls is not None
    assert (config.tls.ca, config.tls.cert, config.tls.key) == ("/ca.pem", "/c.pem", "/k.pem")


def test_explicit_username_wins_over_url() -> None:
    config = parse_config({"URL": "mqtt://a:b@h", "USERNAME": "u", "PASSWORD": "p"})
    assert (config.username, config.password) == ("u", "p")


@pytest.mark.parametrize(("value", "expected"), [(5, PROTOCOL_V5), ("3.1.1", PROTOCOL_V311)])
def test_protocol_accepts_5_and_311(value: object, expected: int) -> None:
    assert parse_config({"URL": "mqtt://h", "PROTOCOL": value}).protocol == expected


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "MQTT has no 'URL'"),
        ({"URL": "http://h"}, "MQTT['URL'] must start with mqtt://"),
        ({"URL": "mqtt://h:99999"}, "MQTT['URL'] has an invalid port"),
        ({"URL": "mqtt://h", "PROTOCOL": 3}, "MQTT['PROTOCOL'] must be 5 or '3.1.1'"),
        ({"URL": "mqtt://h", "PROTOCOL": "3"}, "MQTT['PROTOCOL'] must be 5 or '3.1.1'"),
        ({"URL": "mqtt://h", "KEEPALIVE": "60"}, "MQTT['KEEPALIVE'] must be an integer"),
        ({"URL": "mqtt://h", "KEEPALIVE": True}, "MQTT['KEEPALIVE'] must be an integer"),
        ({"URL": "mqtt://h", "SESSION_EXPIRY": 0}, "MQTT['SESSION_EXPIRY'] must be >= 1"),
        ({"URL": "mqtt://h", "TLS": {"CA": "/x"}}, "MQTT['TLS'] is set but MQTT['URL'] is not"),
        ({"URL": "mqtts://h", "TLS": {"CERT": "/c"}}, "needs both 'CERT' and 'KEY'"),
        ({"URL": "mqtts://h", "TLS": {"CAFILE": "/c"}}, "MQTT['TLS'] has unknown keys"),
        ({"URL": "mqtt://h", "PASSWORD": "x"}, "MQTT['PASSWORD'] is set without"),
        # A lower-case or misspelt key would otherwise be ignored: 5 instead of 3.1.1.
        ({"URL": "mqtt://h", "protocol": "3.1.1"}, "MQTT has unknown keys ['protocol']"),
        ({"URL": "mqtt://h", "KEEP_ALIVE": 30}, "MQTT has unknown keys ['KEEP_ALIVE']"),
        ({"URL": "mqtt://h", "CONSUMER": {"BATCH_SIZE": 0}}, "['BATCH_SIZE'] must be >= 1"),
        ({"URL": "mqtt://h", "CONSUMER": {"BATCHSIZE": 5}}, "MQTT['CONSUMER'] has unknown keys"),
        (
            {"URL": "mqtt://h", "CONSUMER": {"SHARED_GROUP": "a/b"}},
            "MQTT['CONSUMER']['SHARED_GROUP'] must be a non-empty name",
        ),
        (
            {"URL": "mqtt://h", "CONSUMER": {"FLUSH_INTERVAL": "fast"}},
            "MQTT['CONSUMER']['FLUSH_INTERVAL'] must be a number",
        ),
    ],
)
def test_mistakes_name_the_key(config: dict[str, object], message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse_config(config)
    assert message in str(excinfo.value)


def test_consumer_defaults_leave_room_for_two_batches() -> None:
    consumer = parse_config({"URL": "mqtt://h", "CONSUMER": {"BATCH_SIZE": 300}}).consumer
    assert consumer.batch_size == 300
    assert consumer.effective_receive_maximum == 600


def test_mqtt_url_environment_overrides_setting(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MQTT = {"URL": "mqtt://from-settings:1883", "CLIENT_ID": "api"}  # type: ignore[attr-defined]
    monkeypatch.setenv("MQTT_URL", "mqtts://from-env:8884")
    config = load_config()
    assert (config.host, config.port, config.client_id) == ("from-env", 8884, "api")
    assert config.tls is not None
