"""Helpers for the ingestion tests: a consumer in a thread, a QoS 1 publisher, waiting."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from paho.mqtt.client import CallbackAPIVersion, Client
from paho.mqtt.enums import MQTTProtocolVersion
from pymongo.database import Database

from domain_services.devices.dead_letters import DeadLetterStore
from domain_services.devices.ingestion import ConsumerStats, StatusConsumer
from domain_services.devices.status_store import DeviceMongoDBService
from domain_services.integrations.mqtt import config_from_url
from domain_services.integrations.mqtt.settings import MQTTConfig

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
Message = tuple[str, bytes]


def eui(n: int, prefix: int = 0x70B3) -> str:
    return f"{prefix:04X}{n:012X}"


def status(n: int, *, seconds: float = 0, **fields: Any) -> bytes:
    """A valid status payload for message number n."""
    body = {"timestamp": (T0 + timedelta(seconds=seconds)).isoformat(), **fields}
    body.setdefault("battery", n % 101)
    return json.dumps(body).encode()


def consumer_config(url: str, *, keepalive: int = 60, **consumer: Any) -> MQTTConfig:
    options = {
        "CLIENT_ID": f"test-consumer-{uuid.uuid4().hex[:8]}",
        "BATCH_SIZE": 200,
        "FLUSH_INTERVAL": 0.02,
        "RETRY_MIN_DELAY": 0.05,
        "RETRY_MAX_DELAY": 0.5,
        "LOG_INTERVAL": 1,
        **consumer,
    }
    return config_from_url(
        url,
        CONSUMER=options,
        KEEPALIVE=keepalive,
        RECONNECT_MIN_DELAY=0.05,
        RECONNECT_MAX_DELAY=0.5,
    )


class ConsumerThread:
    """A StatusConsumer running `run()` in a daemon thread."""

    def __init__(
        self,
        config: MQTTConfig,
        database: Database[Any],
        *,
        store: Any = None,
        dead_letters: Any = None,
    ) -> None:
        self.store = store or DeviceMongoDBService(database=database)
        self.dead_letters = dead_letters or DeadLetterStore(database=database)
        self.consumer = StatusConsumer(
            store=self.store, dead_letters=self.dead_letters, config=config
        )
        self.stats: ConsumerStats | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.stats = self.consumer.run(install_signal_handlers=False)
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def start(self) -> ConsumerThread:
        self._thread.start()
        return self

    def wait_subscribed(self, timeout: float = 15) -> ConsumerThread:
        """Block until the broker has granted the consumer's subscriptions."""
        assert self.consumer.subscribed.wait(timeout), "the consumer never subscribed"
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 20) -> ConsumerStats:
        self.consumer.stop()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "consumer did not stop"
        if self.error:
            raise self.error
        assert self.stats is not None
        return self.stats


class Publisher:
    """A paho QoS 1 publisher that waits for every PUBACK (and reconnects by itself)."""

    def __init__(self, url: str, *, protocol: int = 5) -> None:
        config = config_from_url(url)
        self.client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-publisher-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv5 if protocol == 5 else MQTTProtocolVersion.MQTTv311,
        )
        self.client.max_inflight_messages_set(500)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 1)
        self.client.connect(config.host, config.port, 30)
        self.client.loop_start()

    def publish(self, messages: Iterable[Message], *, rate: float = 0, timeout: float = 120) -> int:
        infos = []
        start = time.monotonic()
        for count, (topic, payload) in enumerate(messages, 1):
            infos.append(self.client.publish(topic, payload, qos=1))
            if rate and count % 100 == 0:
                ahead = count / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            assert info.is_published(), "the broker did not confirm a QoS 1 publish"
        return len(infos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish(url: str, messages: Sequence[Message], **kwargs: Any) -> int:
    publisher = Publisher(url)
    try:
        return publisher.publish(messages, **kwargs)
    finally:
        publisher.close()


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 30, message: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def wait_subscribed(url: str, database: Database[Any], *, timeout: float = 15) -> None:
    """Publish a probe status until the consumer stores it: then its subscription is live."""
    probe = eui(0xFFFFFF, prefix=0xFFFF)
    collection = database["device_status"]
    publisher = Publisher(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            publisher.publish([(f"devices/{probe}/status", status(0))])
            end = time.monotonic() + 0.5
            while time.monotonic() < end:
                if collection.count_documents({"_id": probe}):
                    return
                time.sleep(0.02)
        raise AssertionError("the consumer never subscribed")
    finally:
        publisher.close()


def stored(database: Database[Any]) -> dict[str, dict[str, Any]]:
    """Every stored status by EUI, without the probe."""
    probe = eui(0xFFFFFF, prefix=0xFFFF)
    return {doc["_id"]: doc for doc in database["device_status"].find({"_id": {"$ne": probe}})}
