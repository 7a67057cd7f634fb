"""integrations/mosquitto: the production config starts, and its ACL confines each user."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from domain_services import errors
from domain_services.integrations.mqtt import BaseMQTTService, TopicRouter, config_from_url
from domain_services.testing.mqtt import MosquittoBroker

pytestmark = pytest.mark.broker

CONFIG_DIR = Path(__file__).resolve().parents[3] / "integrations/mosquitto"
DEVICE, OTHER = "70B3D57ED0001234", "70B3D57ED0005678"
USERS = {"ingestion": "ingest-pw", "devices-api": "api-pw", DEVICE: "device-pw"}


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


def service(
    broker: MosquittoBroker, user: str, router: TopicRouter | None = None
) -> BaseMQTTService:
    url = f"mqtt://{user}:{USERS[user]}@127.0.0.1:{broker.port}"
    mqtt = BaseMQTTService(config_from_url(url, PUBLISH_TIMEOUT=3), router=router)
    mqtt.connect(timeout=5)
    return mqtt


def test_anonymous_clients_are_refused(broker: MosquittoBroker) -> None:
    with pytest.raises(errors.Unavailable, match="did not accept"):
        BaseMQTTService(config_from_url(broker.url)).connect(timeout=2)


def test_a_device_publishes_its_own_status_only_and_the_consumer_reads_it(
    broker: MosquittoBroker,
) -> None:
    seen: list[str] = []
    done = threading.Event()

    def on_status(params: Mapping[str, str], payload: bytes) -> None:
        seen.append(params["eui"])
        done.set()

    router = TopicRouter()
    router.add("devices/{eui}/status", on_status)
    consumer = service(broker, "ingestion", router)
    device = service(broker, DEVICE)
    try:
        consumer.subscribe_routes()
        threading.Event().wait(0.3)  # SUBACK
        with pytest.raises(errors.PermissionDenied):
            device.publish(f"devices/{OTHER}/status", b"{}", qos=1)
        with pytest.raises(errors.PermissionDenied):
            device.publish(f"devices/{DEVICE}/commands", b"{}", qos=1)
        device.publish(f"devices/{DEVICE}/status", b"{}", qos=1)
        assert done.wait(5)
    finally:
        device.close()
        consumer.close()
    assert seen == [DEVICE]


def test_the_api_may_send_commands_but_not_fake_statuses(broker: MosquittoBroker) -> None:
    api = service(broker, "devices-api")
    try:
        api.publish(f"devices/{OTHER}/commands", b"{}", qos=1)
        with pytest.raises(errors.PermissionDenied):
            api.publish(f"devices/{OTHER}/status", b"{}", qos=1)
    finally:
        api.close()
