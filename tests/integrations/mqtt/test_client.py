"""BaseMQTTService against a real Mosquitto: publish with confirmation, subscribe, route."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from domain_services import errors
from domain_services.integrations.mqtt import BaseMQTTService, TopicRouter, config_from_url
from domain_services.testing.mqtt import MosquittoBroker
from domain_services.testing.network import free_port

pytestmark = pytest.mark.broker


class Inbox:
    def __init__(self, expected: int) -> None:
        self.items: list[tuple[dict[str, str], bytes]] = []
        self.expected = expected
        self.done = threading.Event()

    def __call__(self, params: Mapping[str, str], payload: bytes) -> None:
        self.items.append((dict(params), payload))
        if len(self.items) >= self.expected:
            self.done.set()


@pytest.mark.parametrize("protocol", [5, "3.1.1"])
def test_publish_qos1_is_confirmed_and_routed_to_subscriber(
    mqtt_url: str, protocol: object
) -> None:
    config = config_from_url(mqtt_url, PROTOCOL=protocol)
    inbox = Inbox(expected=2)
    router = TopicRouter()
    router.add("test-client/{eui}/status", inbox)
    with BaseMQTTService(config, router=router) as subscriber, BaseMQTTService(config) as pub:
        subscriber.subscribe_routes()
        # Wait for SUBACK by publishing until the first message is seen would be racy; a
        # round trip through the subscriber's own connection orders it after SUBSCRIBE.
        subscriber.publish("test-client/sync/none", b"", qos=1)
        pub.publish(f"test-client/E{protocol}/status", {"battery": 50}, qos=1)
        pub.publish(f"test-client/F{protocol}/status", b"raw", qos=1, retain=False)
        assert inbox.done.wait(5)
    assert inbox.items == [
        ({"eui": f"E{protocol}"}, b'{"battery":50}'),
        ({"eui": f"F{protocol}"}, b"raw"),
    ]


def test_handler_exception_does_not_stop_the_loop(mqtt_url: str) -> None:
    config = config_from_url(mqtt_url)
    inbox = Inbox(expected=1)
    router = TopicRouter()

    @router.route("test-boom/fail")
    def fail(params: Mapping[str, str], payload: bytes) -> None:
        raise RuntimeError("handler bug")

    router.add("test-boom/ok", inbox)
    with BaseMQTTService(config, router=router) as service:
        service.subscribe_routes()
        service.publish("test-boom/sync", b"", qos=1)
        service.publish("test-boom/fail", b"x", qos=1)
        service.publish("test-boom/ok", b"y", qos=1)
        assert inbox.done.wait(5), "the loop thread died after the handler raised"
        assert service.is_connected


def test_connect_to_nothing_raises_unavailable() -> None:
    config = config_from_url(f"mqtt://127.0.0.1:{free_port()}")
    service = BaseMQTTService(config)
    with pytest.raises(errors.Unavailable, match="did not accept the connection"):
        service.connect(timeout=0.5)


def test_publish_while_disconnected_raises_unavailable(mosquitto: MosquittoBroker) -> None:
    service = BaseMQTTService(config_from_url(mosquitto.url, RECONNECT_MAX_DELAY=1))
    service.connect()
    try:
        mosquitto.stop()
        with pytest.raises(errors.Unavailable):
            for _ in range(50):  # the disconnect is noticed asynchronously
                service.publish("test/x", b"1", qos=1, timeout=0.2)
        mosquitto.start()
        for _ in range(100):
            if service.is_connected:
                break
            threading.Event().wait(0.05)
        assert service.publish("test/x", b"2", qos=1) > 0, "did not reconnect after restart"
    finally:
        service.close()
