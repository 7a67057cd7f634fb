"""The `MQTT` settings dictionary, parsed once into a frozen `MQTTConfig`.

```python
MQTT = {
    "URL": "mqtt://broker:1883",          # or mqtts://; MQTT_URL in the environment wins
    "CLIENT_ID": "devices-api",            # stable id: the broker keeps sessions by it
    "USERNAME": "...", "PASSWORD": "...",  # or user:password@ in the URL
    "TLS": {"CA": "/etc/ssl/ca.pem", "CERT": "client.pem", "KEY": "client.key"},
    "PROTOCOL": 5,                         # or "3.1.1"
    "KEEPALIVE": 60,
    "SESSION_EXPIRY": 86400,               # seconds a persistent session outlives a disconnect
    "CONSUMER": {...},                     # see ConsumerConfig
}
```

Every mistake, an unknown key included, raises `ImproperlyConfigured` naming the key, so
`manage.py mqtt_consume` fails before it connects rather than somewhere inside paho.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from domain_services.conf import reject_unknown_keys, settings_dict

SETTING = "MQTT"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
PROTOCOL_V5 = 5
PROTOCOL_V311 = 4  # the protocol level byte MQTT 3.1.1 sends, and paho's MQTTv311
# 0xFFFFFFFF is MQTT 5's "never expires"; anything above does not fit the property.
MAX_SESSION_EXPIRY = 0xFFFFFFFF
MAX_RECEIVE_MAXIMUM = 65535
KEYS = (
    "URL",
    "CLIENT_ID",
    "USERNAME",
    "PASSWORD",
    "TLS",
    "PROTOCOL",
    "KEEPALIVE",
    "SESSION_EXPIRY",
    "CONNECT_TIMEOUT",
    "PUBLISH_TIMEOUT",
    "RECONNECT_MIN_DELAY",
    "RECONNECT_MAX_DELAY",
    "CONSUMER",
)


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """Client TLS material; `ca` None means the system trust store."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """`MQTT['CONSUMER']`: how the status ingestion consumer batches, validates and reports."""

    client_id: str = "domain-services-ingestion"
    batch_size: int = 500
    flush_interval: float = 0.05
    max_payload_bytes: int = 16_384
    dead_letter_ttl: int = 14 * 86_400
    shared_group: str | None = None
    log_interval: float = 60.0
    retry_min_delay: float = 0.2
    retry_max_delay: float = 10.0
    receive_maximum: int = 0  # 0: derived from batch_size, see `effective_receive_maximum`
    # After SIGTERM, how long the last writes may wait for a store that is down before the
    # consumer exits without acknowledging them (the broker keeps them for the next run).
    shutdown_grace: float = 10.0

    @property
    def effective_receive_maximum(self) -> int:
        """The MQTT 5 Receive Maximum: room for two batches, so one can be written while the next
        arrives, without the broker stalling at its in-flight window."""
        if self.receive_maximum:
            return self.receive_maximum
        return min(MAX_RECEIVE_MAXIMUM, max(2 * self.batch_size, 100))


@dataclass(frozen=True, slots=True)
class MQTTConfig:
    """Everything needed to open a paho client to the configured broker."""

    host: str
    port: int = 1883
    tls: TLSConfig | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    protocol: int = PROTOCOL_V5
    keepalive: int = 60
    session_expiry: int = 86_400
    connect_timeout: float = 10.0
    publish_timeout: float = 10.0
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 30.0
    consumer: ConsumerConfig = field(default_factory=ConsumerConfig)

    @property
    def url(self) -> str:
        """The broker URL without credentials, for logs."""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def is_v5(self) -> bool:
        return self.protocol == PROTOCOL_V5


def load_config(raw: Mapping[str, Any] | None = None) -> MQTTConfig:
    """Parse `raw`, or the Django `MQTT` setting (with `MQTT_URL` from the environment)."""
    config = settings_dict(SETTING, env_url="MQTT_URL") if raw is None else dict(raw)
    return parse_config(config)


def config_from_url(url: str, **overrides: Any) -> MQTTConfig:
    """A config for `url` with upper-case setting keys in `overrides` (handy in scripts)."""
    return parse_config({"URL": url, **overrides})


def parse_config(config: Mapping[str, Any]) -> MQTTConfig:
    """Validate one settings dictionary; raise ImproperlyConfigured naming the wrong key."""
    url = config.get("URL")
    if not url or not isinstance(url, str):
        raise ImproperlyConfigured(
            "MQTT has no 'URL'; set it (or the MQTT_URL environment variable) to "
            "mqtt://host:1883 or mqtts://host:8883."
        )
    reject_unknown_keys(config, KEYS, setting=SETTING)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(
            f"MQTT['URL'] must start with mqtt:// or mqtts://, not {parts.scheme or url!r}://."
        )
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ImproperlyConfigured(f"MQTT['URL'] has an invalid port: {exc}.") from None
    if not parts.hostname:
        raise ImproperlyConfigured("MQTT['URL'] has no host; use mqtt://host:1883.")

    username = _optional_str(config, "USERNAME") or (unquote(parts.username or "") or None)
    password = _optional_str(config, "PASSWORD") or (unquote(parts.password or "") or None)
    if password and not username:
        raise ImproperlyConfigured("MQTT['PASSWORD'] is set without MQTT['USERNAME'].")

    return MQTTConfig(
        host=parts.hostname,
        port=port,
        tls=_tls(config.get("TLS"), scheme=scheme),
        username=username,
        password=password,
        client_id=_optional_str(config, "CLIENT_ID"),
        protocol=_protocol(config.get("PROTOCOL", 5)),
        keepalive=_number(config, "KEEPALIVE", 60, kind=int, minimum=5, maximum=65535),
        session_expiry=_number(
            config, "SESSION_EXPIRY", 86_400, kind=int, minimum=1, maximum=MAX_SESSION_EXPIRY
        ),
        connect_timeout=_number(config, "CONNECT_TIMEOUT", 10.0, minimum=0.1),
        publish_timeout=_number(config, "PUBLISH_TIMEOUT", 10.0, minimum=0.1),
        reconnect_min_delay=_number(config, "RECONNECT_MIN_DELAY", 0.5, minimum=0.01),
        reconnect_max_delay=_number(config, "RECONNECT_MAX_DELAY", 30.0, minimum=0.01),
        consumer=_consumer(config.get("CONSUMER")),
    )


def _protocol(value: Any) -> int:
    if value in (5, "5", "5.0"):
        return PROTOCOL_V5
    if value in ("3.1.1", 4, "4", 311):
        return PROTOCOL_V311
    raise ImproperlyConfigured(f"MQTT['PROTOCOL'] must be 5 or '3.1.1', not {value!r}.")


def _tls(value: Any, *, scheme: str) -> TLSConfig | None:
    if value is None:
        # mqtts:// alone means TLS against the system trust store.
        return TLSConfig() if scheme == "mqtts" else None
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("MQTT['TLS'] must be a dictionary with CA, CERT and KEY.")
    reject_unknown_keys(value, ("CA", "CERT", "KEY", "INSECURE"), setting="MQTT['TLS']")
    if scheme != "mqtts":
        raise ImproperlyConfigured("MQTT['TLS'] is set but MQTT['URL'] is not mqtts://.")
    tls = {key: value.get(key) for key in ("CA", "CERT", "KEY")}
    for key, item in tls.items():
        if item is not None and not isinstance(item, str):
            raise ImproperlyConfigured(f"MQTT['TLS'][{key!r}] must be a file path string.")
    if bool(tls["CERT"]) != bool(tls["KEY"]):
        raise ImproperlyConfigured("MQTT['TLS'] needs both 'CERT' and 'KEY' for a client cert.")
    insecure = value.get("INSECURE", False)
    if not isinstance(insecure, bool):
        raise ImproperlyConfigured("MQTT['TLS']['INSECURE'] must be True or False.")
    return TLSConfig(ca=tls["CA"], cert=tls["CERT"], key=tls["KEY"], insecure=insecure)


def _consumer(value: Any) -> ConsumerConfig:
    if value is None:
        return ConsumerConfig()
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("MQTT['CONSUMER'] must be a dictionary.")
    known = {
        "CLIENT_ID",
        "BATCH_SIZE",
        "FLUSH_INTERVAL",
        "MAX_PAYLOAD_BYTES",
        "DEAD_LETTER_TTL",
        "SHARED_GROUP",
        "LOG_INTERVAL",
        "RETRY_MIN_DELAY",
        "RETRY_MAX_DELAY",
        "RECEIVE_MAXIMUM",
        "SHUTDOWN_GRACE",
    }
    reject_unknown_keys(value, known, setting="MQTT['CONSUMER']")
    prefix = "CONSUMER']['"
    default = ConsumerConfig()
    group = value.get("SHARED_GROUP")
    if group is not None:
        check_group_name(group, setting="MQTT['CONSUMER']['SHARED_GROUP']")
    client_id = value.get("CLIENT_ID", default.client_id)
    if not isinstance(client_id, str) or not client_id:
        raise ImproperlyConfigured("MQTT['CONSUMER']['CLIENT_ID'] must be a non-empty string.")
    return ConsumerConfig(
        client_id=client_id,
        batch_size=_number(
            value, "BATCH_SIZE", 500, kind=int, minimum=1, maximum=20_000, prefix=prefix
        ),
        flush_interval=_number(value, "FLUSH_INTERVAL", 0.05, minimum=0.001, prefix=prefix),
        max_payload_bytes=_number(
            value, "MAX_PAYLOAD_BYTES", 16_384, kind=int, minimum=64, prefix=prefix
        ),
        dead_letter_ttl=_number(
            value, "DEAD_LETTER_TTL", 14 * 86_400, kind=int, minimum=60, prefix=prefix
        ),
        shared_group=group,
        log_interval=_number(value, "LOG_INTERVAL", 60.0, minimum=0.1, prefix=prefix),
        retry_min_delay=_number(value, "RETRY_MIN_DELAY", 0.2, minimum=0.01, prefix=prefix),
        retry_max_delay=_number(value, "RETRY_MAX_DELAY", 10.0, minimum=0.01, prefix=prefix),
        receive_maximum=_number(
            value,
            "RECEIVE_MAXIMUM",
            0,
            kind=int,
            minimum=0,
            maximum=MAX_RECEIVE_MAXIMUM,
            prefix=prefix,
        ),
        shutdown_grace=_number(value, "SHUTDOWN_GRACE", 10.0, minimum=0, prefix=prefix),
    )


def check_group_name(group: Any, *, setting: str) -> str:
    """A shared-subscription group name is one topic level without wildcards."""
    if not isinstance(group, str) or not group or any(c in group for c in "/+#\0"):
        raise ImproperlyConfigured(
            f"{setting} must be a non-empty name without '/', '+', '#', not {group!r}."
        )
    return group


def _optional_str(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"MQTT[{key!r}] must be a string.")
    return value


def _number(
    config: Mapping[str, Any],
    key: str,
    default: Any,
    *,
    kind: type = float,
    minimum: float | None = None,
    maximum: float | None = None,
    prefix: str = "",
) -> Any:
    value: Any = config.get(key, default)
    name = f"MQTT['{prefix}{key}']"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (kind is int and not isinstance(value, int))
    ):
        noun = "an integer" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {noun}, not {value!r}.")
    number = float(value)
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, not {value!r}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name} must be <= {maximum}, not {value!r}.")
    return kind(value)
