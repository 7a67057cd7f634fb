"""MQTT ingestion throughput, side by side on one broker with the same messages.

Every contender has its own persistent session on the same Mosquitto. Each round creates the
sessions, publishes the messages once (the broker queues a copy for every session), then lets
each contender drain its queue in turn: same broker, same messages, same backlog.

- `mqtt.consume_noop`: the ingestion consumer (validation, batching, manual acks in order) with
  a store whose writes do nothing, vs a bare paho subscriber that only counts QoS 1 messages.
- `mqtt.consume_store`: the consumer into the local MongoDB wire server vs a minimal hand-written
  pipeline: paho, manual ack, the same unordered bulk upserts with raw pymongo, no validation,
  dead letters or ordering.

Run: `python -m benchmarks.bench_mqtt` (MQTT_URL / MONGODB_URL to use running servers).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    settings.configure(USE_TZ=True, MONGODB={"URL": "mongodb://127.0.0.1:1"})
    django.setup()

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pymongo import MongoClient, UpdateOne
from pymongo.errors import BulkWriteError

from benchmarks.report import report
from domain_services.devices.dead_letters import DeadLetterStore
from domain_services.devices.ingestion import StatusConsumer
from domain_services.devices.status_store import DeviceMongoDBService, StatusUpdate
from domain_services.integrations.mongodb import BulkResult
from domain_services.integrations.mqtt import config_from_url
from domain_services.integrations.mqtt.settings import MQTTConfig
from domain_services.testing.mongodb import MongoWireServer
from domain_services.testing.mqtt import MosquittoBroker

N = int(os.environ.get("BENCH_MQTT_MESSAGES", "20000"))
DEVICES = 1000
ROUNDS = int(os.environ.get("BENCH_MQTT_ROUNDS", "3"))
BATCH = 500
FLUSH = 0.05
RECEIVE_MAXIMUM = 2 * BATCH
TOPIC = "devices/+/status"


def messages() -> list[tuple[str, bytes]]:
    start = datetime.now(UTC) - timedelta(hours=12)
    out = []
    for n in range(N):
        eui = f"B0000000{n % DEVICES:08X}"
        body = {
            "timestamp": (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
            "battery": n % 101,
            "signal": -(n % 120),
            "firmware": "1.4.2",
            "readings": {"temperature": 20.5, "seq": n},
        }
        out.append((f"devices/{eui}/status", json.dumps(body, separators=(",", ":")).encode()))
    return out


def paho_client(client_id: str, *, manual_ack: bool = False) -> Client:
    return Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        manual_ack=manual_ack,
    )


def connect_persistent(client: Client, config: MQTTConfig) -> None:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    client.connect(config.host, config.port, 60, clean_start=False, properties=properties)


def create_session(config: MQTTConfig, client_id: str) -> None:
    """Subscribe once with a persistent session, so the broker queues what is published next."""
    client = paho_client(client_id)
    connect_persistent(client, config)
    subscribed: list[bool] = []
    client.on_subscribe = lambda *args: subscribed.append(True)
    client.subscribe(TOPIC, qos=1)
    while not subscribed:
        client.loop(0.1)
    client.disconnect()
    client.loop(0.1)


def publish_all(config: MQTTConfig, batch: Sequence[tuple[str, bytes]]) -> None:
    client = paho_client(f"bench-publisher-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(config.host, config.port, 60)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in batch]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def bare_subscriber(config: MQTTConfig, client_id: str) -> float:
    """Count QoS 1 messages with paho's automatic acks: the ceiling for any Python consumer."""
    client = paho_client(client_id)
    count = [0]

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        count[0] += 1

    client.on_message = on_message
    start = time.perf_counter()
    connect_persistent(client, config)
    while count[0] < N:
        client.loop(0.1)
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop(0.1)
    return elapsed


def raw_pipeline(config: MQTTConfig, client_id: str, database: Any) -> float:
    """Hand-written: paho manual ack + raw pymongo unordered bulk upserts, nothing else."""
    client = paho_client(client_id, manual_ack=True)
    collection = database["device_status"]
    ops: list[UpdateOne] = []
    mids: list[int] = []
    first = [0.0]
    done = [0]

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        body = json.loads(message.payload)
        timestamp = datetime.fromisoformat(body.pop("timestamp"))
        eui = message.topic.split("/")[1]
        body["timestamp"] = timestamp
        body["updated_at"] = datetime.now(UTC)
        ops.append(
            UpdateOne({"_id": eui, "timestamp": {"$lt": timestamp}}, {"$set": body}, upsert=True)
        )
        if not mids:
            first[0] = time.monotonic()
        mids.append(message.mid)

    def flush() -> None:
        with contextlib.suppress(BulkWriteError):  # duplicate keys: stale updates
            collection.bulk_write(ops, ordered=False)
        for mid in mids:
            client.ack(mid, 1)
        done[0] += len(mids)
        ops.clear()
        mids.clear()

    client.on_message = on_message
    start = time.perf_counter()
    connect_persistent(client, config)
    while done[0] < N:
        client.loop(FLUSH if not mids else max(0.0, first[0] + FLUSH - time.monotonic()))
        if mids and (len(mids) >= BATCH or time.monotonic() - first[0] >= FLUSH):
            flush()
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop(0.1)
    return elapsed


class NoopStore:
    """The real validation, writes that do nothing."""

    def __init__(self, on_write: Callable[[int], None]) -> None:
        self._store = DeviceMongoDBService(database=_unused_database())
        self._on_write = on_write

    def validate(self, eui: str, fields: Any, *, timestamp: datetime | None = None) -> StatusUpdate:
        return self._store.validate(eui, fields, timestamp=timestamp)

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkResult:
        self._on_write(len(updates))
        return BulkResult(applied=len(updates))


class CountingStore(DeviceMongoDBService):
    def __init__(self, on_write: Callable[[int], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_write = on_write

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkResult:
        result = super().bulk_update(updates)
        self._on_write(len(updates))
        return result


def consumer_run(
    config: MQTTConfig, client_id: str, make_store: Callable[..., Any], db: Any
) -> float:
    written = [0]
    holder: list[StatusConsumer] = []

    def on_write(count: int) -> None:
        written[0] += count
        if written[0] >= N:
            holder[0].stop()

    consumer = StatusConsumer(
        store=make_store(on_write),
        dead_letters=DeadLetterStore(database=db),
        config=config,
        client_id=client_id,
        batch_size=BATCH,
        flush_interval=FLUSH,
    )
    holder.append(consumer)
    start = time.perf_counter()
    stats = consumer.run(install_signal_handlers=False)
    elapsed = time.perf_counter() - start
    assert stats.received >= N and stats.dead_lettered == 0, stats
    return elapsed


def drain(name: str, config: MQTTConfig, client_id: str, raw_db: Any, store_db: Any) -> float:
    """Seconds for contender `name` to receive and handle all N queued messages."""
    if name == "bare":
        return bare_subscriber(config, client_id)
    if name == "raw":
        return raw_pipeline(config, client_id, raw_db)
    if name == "noop":
        return consumer_run(config, client_id, NoopStore, store_db)
    return consumer_run(config, client_id, lambda w: CountingStore(w, database=store_db), store_db)


_UNUSED: list[Any] = []


def _unused_database() -> Any:
    return _UNUSED[0]


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    broker = None if os.environ.get("MQTT_URL") else MosquittoBroker().start()
    mongo = None if os.environ.get("MONGODB_URL") else MongoWireServer()
    if mongo is not None:
        mongo.start()
    try:
        mqtt_url = os.environ.get("MQTT_URL") or broker.url  # type: ignore[union-attr]
        mongo_url = os.environ.get("MONGODB_URL") or mongo.url  # type: ignore[union-attr]
        config = config_from_url(mqtt_url, CONSUMER={"RECEIVE_MAXIMUM": RECEIVE_MAXIMUM})
        client: MongoClient[dict[str, Any]] = MongoClient(mongo_url, tz_aware=True)
        _UNUSED.append(client["bench_unused"])
        batch = messages()
        best = {
            "bare": float("inf"),
            "noop": float("inf"),
            "raw": float("inf"),
            "store": float("inf"),
        }
        for round_ in range(ROUNDS):
            tag = uuid.uuid4().hex[:6]
            ids = {name: f"bench-{name}-{tag}" for name in best}
            for client_id in ids.values():
                create_session(config, client_id)
            publish_all(config, batch)
            raw_db = client[f"bench_raw_{tag}"]
            store_db = client[f"bench_store_{tag}"]
            # Alternate the order between rounds so neither side always runs on a warmer machine.
            order = (
                ["bare", "noop", "raw", "store"]
                if round_ % 2 == 0
                else ["noop", "bare", "store", "raw"]
            )
            for name in order:
                seconds = drain(name, config, ids[name], raw_db, store_db)
                best[name] = min(best[name], seconds)
            assert raw_db["device_status"].count_documents({}) == DEVICES
            assert store_db["device_status"].count_documents({}) == DEVICES
            client.drop_database(raw_db.name)
            client.drop_database(store_db.name)
        rate = {name: N / seconds for name, seconds in best.items()}
        report(
            "mqtt.consume_noop",
            rate["noop"] / rate["bare"],
            ">=0.6",
            consumer=f"{rate['noop']:.0f}/s",
            bare=f"{rate['bare']:.0f}/s",
            n=N,
        )
        report(
            "mqtt.consume_store",
            rate["store"] / rate["raw"],
            ">=0.8",
            consumer=f"{rate['store']:.0f}/s",
            raw=f"{rate['raw']:.0f}/s",
            n=N,
        )
        client.close()
    finally:
        if broker is not None:
            broker.cleanup()
        if mongo is not None:
            mongo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
