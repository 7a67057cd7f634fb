"""The production broker config lets only a domain's relay publish its events.

A forged `events/facilities/Room/deleted` would make the devices consumer clear and cascade
its references to that room: the ACL is what stops a device, or any other user, writing one.
"""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain_services import errors
from domain_services.events.outbox import Message
from domain_services.integrations.mqtt import BaseMQTTService, config_from_url
from domain_services.integrations.mqtt.events import MQTTTransport
from domain_services.testing.mqtt import MosquittoBroker

pytestmark = pytest.mark.broker

CONFIG_DIR = Path(__file__).resolve().parents[2] / "integrations/mosquitto"
DEVICE = "70B3D57ED0001234"
USERS = {"facilities-relay": "relay-pw", "devices-events": "events-pw", DEVICE: "device-pw",
         "devices-api": "api-pw"}  # fmt: skip
TOPIC = "events/facilities/Room/deleted"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in USERS.items():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True)
    text = (CONFIG_DIR / "mosquitto.conf").read_text()
    text = text.replace("listener 1883", "listener @PORT@ 127.0.0.1")
    text = text.replace("/var/lib/mosquitto/", "@DATA_DIR@/")
    text = text.replace("/etc/mosquitto/passwd", str(passwd))
    text = text.replace("/etc/mosquitto/acl", str(CONFIG_DIR / "acl"))
    with MosquittoBroker(template=text) as broker:
        yield broker


def url(broker: MosquittoBroker, user: str) -> str:
    return f"mqtt://{user}:{USERS[user]}@127.0.0.1:{broker.port}"


def test_only_the_relay_publishes_events_and_the_consumer_reads_them(broker):
    received: list[bytes] = []
    arrived = threading.Event()
    consumer = BaseMQTTService(config_from_url(url(broker, "devices-events")))
    consumer.connect(timeout=5)
    consumer.client.on_message = lambda c, u, m: (received.append(m.payload), arrived.set())
    consumer.subscribe("events/facilities/#")
    threading.Event().wait(0.3)  # SUBACK
    relay = MQTTTransport(
        config_from_url(url(broker, "facilities-relay"), PUBLISH_TIMEOUT=3),
        client_id=f"relay-{uuid.uuid4().hex[:6]}",
    ).start(wait=5)
    try:
        for user in (DEVICE, "devices-api", "devices-events"):
            forger = BaseMQTTService(config_from_url(url(broker, user), PUBLISH_TIMEOUT=3))
            forger.connect(timeout=5)
            try:
                with pytest.raises(errors.PermissionDenied):
                    forger.publish(TOPIC, b'{"v":1}', qos=1)
            finally:
                forger.close()
        with pytest.raises(errors.PermissionDenied):
            relay.publish_batch([Message(1, "events/devices/Device/deleted", b"{}")])
        relay.publish_batch([Message(2, TOPIC, b'{"genuine":true}')])
        assert arrived.wait(5)
    finally:
        relay.close()
        consumer.close()
    assert received == [b'{"genuine":true}']
