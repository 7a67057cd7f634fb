"""`DirectClient` hands the consumer what paho's `on_message` would, without its per-message
objects: proven side by side with a plain paho client on one real broker."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from paho.mqtt._packet import MalformedPacket
from paho.mqtt.client import MQTT_LOG_ERR, CallbackAPIVersion, Client, MQTTMessage
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from domain_services.integrations.mqtt import config_from_url
from domain_services.integrations.mqtt.client import create_client
from domain_services.integrations.mqtt.direct import DirectClient

pytestmark = pytest.mark.broker

PROTOCOLS = {5: MQTTProtocolVersion.MQTTv5, 4: MQTTProtocolVersion.MQTTv311}


def props(properties: Properties | None) -> dict[str, Any]:
    return {} if properties is None else properties.json()


def user_properties(**values: Any) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [(key, str(value)) for key, value in values.items()]
    properties.ContentType = "application/json"
    properties.MessageExpiryInterval = 3600
    return properties


def stream(prefix: str) -> list[tuple[str, bytes, int, Properties | None]]:
    long_topic = f"{prefix}/" + "t" * 300  # a topic length past one byte
    return [
        (f"{prefix}/a", b"", 1, None),
        (f"{prefix}/b", b"x", 0, None),
        (f"{prefix}/c", b'{"battery": 5}', 1, user_properties(client_id="gw-1")),
        (long_topic, bytes(range(256)) * 800, 1, None),  # a 200 KB payload
        (f"{prefix}/é/ü", "ünïcode".encode(), 1, user_properties(a=1, b=2)),
        (f"{prefix}/q2", b"exactly once", 2, None),
        (f"{prefix}/z", b"last", 1, None),
    ]


class Recorder:
    def __init__(self, expected: int) -> None:
        self.items: list[tuple[bytes, bytes, int, dict[str, Any]]] = []
        self.expected = expected
        self.done = threading.Event()

    def add(self, topic: bytes, payload: bytes, qos: int, properties: Properties | None) -> None:
        self.items.append((topic, payload, qos, props(properties)))
        if len(self.items) >= self.expected:
            self.done.set()

    def on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        self.add(message._topic, bytes(message.payload), message.qos, message.properties)


def subscriber(mqtt_url: str, protocol: int, client_class: type[Client], prefix: str) -> Client:
    config = config_from_url(mqtt_url, PROTOCOL=protocol)
    client = create_client(config, client_class=client_class)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(config.host, config.port)
    client.loop_start()
    client.subscribe(f"{prefix}/#", qos=2)
    assert subscribed.wait(5), "no SUBACK"
    return client


@pytest.mark.parametrize("protocol", [5, 4])
def test_every_message_arrives_as_paho_s_on_message_gives_it(mqtt_url: str, protocol: int) -> None:
    prefix = f"test-direct/{uuid.uuid4().hex[:8]}"
    messages = stream(prefix)
    plain, direct = Recorder(len(messages)), Recorder(len(messages))
    paho = subscriber(mqtt_url, protocol, Client, prefix)
    paho.on_message = plain.on_message
    ours = subscriber(mqtt_url, protocol, DirectClient, prefix)
    assert isinstance(ours, DirectClient)
    ours.on_publish_received = lambda topic, payload, mid, qos, dup, properties: direct.add(
        topic, payload, qos, properties
    )
    ours.on_message = direct.on_message  # QoS 2 stays paho's
    publisher = Client(CallbackAPIVersion.VERSION2, protocol=PROTOCOLS[protocol])
    config = config_from_url(mqtt_url)
    publisher.connect(config.host, config.port)
    publisher.loop_start()
    try:
        for topic, payload, qos, properties in messages:
            kwargs = {"properties": properties} if protocol == 5 and properties else {}
            publisher.publish(topic, payload, qos=qos, **kwargs).wait_for_publish(5)
        assert plain.done.wait(10) and direct.done.wait(10)
    finally:
        for client in (publisher, paho, ours):
            client.disconnect()
            client.loop_stop()
    # QoS 2 is handed over on PUBREL, so only its place among the others may differ.
    assert sorted(direct.items) == sorted(plain.items)
    assert [m for m in direct.items if m[2] < 2] == [m for m in plain.items if m[2] < 2]
    assert len(direct.items) == len(messages)
    if protocol == 5:  # the user properties made it through
        assert ("client_id", "gw-1") in direct.items[2][3]["UserProperty"]


QOS1, QOS3 = 0x32, 0x36  # PUBLISH headers; both QoS bits set is malformed
MALFORMED = {
    "empty": (QOS1, b""),
    "topic length past the end": (QOS1, b"\x00\x10ab"),
    "no packet id": (QOS1, b"\x00\x01a\x00"),
    "no property length": (QOS1, b"\x00\x01a\x00\x01"),
    "properties past the end": (QOS1, b"\x00\x01a\x00\x01\x05\x01"),
    "an unknown property": (QOS1, b"\x00\x01a\x00\x01\x02\x7f\x00hi"),
    "a property twice": (QOS1, b"\x00\x01a\x00\x01\x0a\x02\x00\x00\x00\x01\x02\x00\x00\x00\x01"),
    "QoS 3": (QOS3, b"\x00\x01a\x00\x05\x00hi"),
}


@pytest.mark.parametrize(("header", "packet"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_publish_fails_as_paho_s_reader_fails(header: int, packet: bytes) -> None:
    outcomes = []
    for client_class in (Client, DirectClient):
        client = client_class(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        if isinstance(client, DirectClient):
            client.on_publish_received = lambda *args: pytest.fail("a malformed packet arrived")
        client.on_message = lambda *args: pytest.fail("a malformed packet arrived")
        client._in_packet = {"command": header, "packet": bytearray(packet)}
        try:
            outcomes.append(client._handle_publish())
        except Exception as exc:
            outcomes.append(type(exc))
    assert outcomes[1] == outcomes[0]
    # paho's loop survives what it raises: a malformed packet drops the connection, it does
    # not end the network thread.
    assert outcomes[0] in (MalformedPacket, MQTTErrorCode.MQTT_ERR_PROTOCOL)


def test_a_failing_callback_is_logged_and_suppressed_like_on_message() -> None:
    client = DirectClient(
        CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True
    )
    logged: list[tuple[int, str]] = []
    client.on_log = lambda client, userdata, level, text: logged.append((level, text))

    def fail(*args: Any) -> None:
        raise RuntimeError("handler bug")

    client.on_publish_received = fail
    client._in_packet = {"command": 0x32, "packet": bytearray(b"\x00\x01a\x00\x07\x00hi")}
    client.suppress_exceptions = True
    assert client._handle_publish() == 0
    assert (MQTT_LOG_ERR, "Caught exception in on_publish_received: handler bug") in logged
    client.suppress_exceptions = False
    with pytest.raises(RuntimeError, match="handler bug"):
        client._handle_publish()
