"""DeviceCommandService: QoS 1 JSON commands on devices/<EUI>/commands, confirmed or an error."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping

import pytest

from domain_services import errors
from domain_services.devices.commands import DeviceCommandService
from domain_services.integrations.mqtt import BaseMQTTService, TopicRouter, config_from_url
from domain_services.testing.mqtt import MosquittoBroker
from domain_services.testing.network import free_port

pytestmark = pytest.mark.broker
EUI = "70B3D57ED0001234"


class DeviceInbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, object]]] = []
        self.event = threading.Event()

    def __call__(self, params: Mapping[str, str], payload: bytes) -> None:
        self.received.append((params["eui"], json.loads(payload)))
        self.event.set()


def device_listening(url: str, inbox: DeviceInbox) -> BaseMQTTService:
    router = TopicRouter()
    router.add("devices/{eui}/commands", inbox)
    device = BaseMQTTService(config_from_url(url), router=router)
    device.connect()
    device.subscribe_routes()
    device.publish("sync/subscribed", b"", qos=1)  # after SUBSCRIBE on the same connection
    return device


def test_send_publishes_a_json_command_the_device_receives(mqtt_url: str) -> None:
    inbox = DeviceInbox()
    device = device_listening(mqtt_url, inbox)
    commands = DeviceCommandService(config=config_from_url(mqtt_url))
    try:
        sent = commands.send(eui=EUI.lower(), command="reboot", args={"delay": 5})
        assert inbox.event.wait(5)
    finally:
        commands.close()
        device.close()
    assert (sent.eui, sent.topic, sent.command) == (EUI, f"devices/{EUI}/commands", "reboot")
    uuid.UUID(sent.command_id)
    eui, body = inbox.received[0]
    assert eui == EUI
    assert body["command_id"] == sent.command_id
    assert body["command"] == "reboot" and body["args"] == {"delay": 5}
    assert body["sent_at"] == sent.sent_at.isoformat()


def test_send_many_reports_each_failure_and_sends_the_rest(mqtt_url: str) -> None:
    commands = DeviceCommandService(config=config_from_url(mqtt_url))
    try:
        batch = commands.send_many(euis=[EUI, "not-an-eui", "70B3D57ED0005678"], command="ping")
    finally:
        commands.close()
    assert [s.eui for s in batch.sent] == [EUI, "70B3D57ED0005678"]
    assert list(batch.failed) == ["not-an-eui"]
    assert "16 hex digits" in batch.failed["not-an-eui"]
    assert not batch.ok


@pytest.mark.parametrize(
    ("command", "args", "field"),
    [
        ("", None, "command"),
        ("reboot now", None, "command"),
        ("x" * 65, None, "command"),
        ("set", ["not", "an", "object"], "args"),
        ("set", {"when": object()}, "args"),
        ("set", {"nan": float("nan")}, "args"),
        ("set", {"blob": "x" * 5000}, "args"),
    ],
)
def test_invalid_commands_are_refused_before_connecting(
    command: str, args: object, field: str
) -> None:
    commands = DeviceCommandService(config=config_from_url(f"mqtt://127.0.0.1:{free_port()}"))
    with pytest.raises(errors.ValidationFailed) as excinfo:
        commands.send(eui=EUI, command=command, args=args)  # type: ignore[arg-type]
    assert field in excinfo.value.errors


def test_an_unreachable_broker_is_unavailable() -> None:
    config = config_from_url(f"mqtt://127.0.0.1:{free_port()}", CONNECT_TIMEOUT=0.5)
    with pytest.raises(errors.Unavailable):
        DeviceCommandService(config=config).send(eui=EUI, command="reboot")


def test_a_broker_that_goes_away_is_unavailable_then_recovers(mosquitto: MosquittoBroker) -> None:
    commands = DeviceCommandService(
        config=config_from_url(mosquitto.url, PUBLISH_TIMEOUT=0.5, CONNECT_TIMEOUT=3)
    )
    try:
        commands.send(eui=EUI, command="reboot")
        mosquitto.stop()
        with pytest.raises(errors.Unavailable):
            for _ in range(20):
                commands.send(eui=EUI, command="reboot")
        mosquitto.start()
        for _ in range(40):
            try:
                assert commands.send(eui=EUI, command="reboot").eui == EUI
                break
            except errors.Unavailable:
                threading.Event().wait(0.25)
        else:
            pytest.fail("did not recover after the broker came back")
    finally:
        commands.close()
