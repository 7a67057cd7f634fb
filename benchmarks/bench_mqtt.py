"""MQTT ingestion throughput and CPU, side by side on one broker with the same messages.

Every contender has its own persistent session on the same Mosquitto. Each round creates the
sessions, publishes the messages once (the broker queues a copy for every session), then lets
each contender drain its queue in turn, the order rotated from round to round: same broker,
same messages, same backlog. Each contender runs in a fresh process of its own, as it would in
production (no one inherits another's imports, allocations or garbage-collector state). Its
time runs from its connect to the moment its last message is written; its CPU is its process's
CPU time over the same span (all threads), and `db_cpu` is the MongoDB server's when the
benchmark started it.

- `mqtt.consume_noop`: the ingestion consumer (validation, batching, manual acks in order) with
  a store whose writes do nothing, vs a bare paho subscriber that only counts QoS 1 messages.
- `mqtt.consume_store`: the consumer into the MongoDB wire server vs a single-threaded pipeline:
  paho, manual ack, unordered bulk upserts of the same last-write-wins shape with raw pymongo,
  batches of 500, no validation, dead letters or ordering.
- `mqtt.consume_vs_minimal`: the consumer vs the best hand-written consumer we know
  (`benchmarks/minimal_consumer.py`, about 60 lines, run as a script): persistent session,
  manual acks, updates merged per device, unordered `bulk_write` of plain `$set` upserts by
  `_id` every 200 messages or 50 ms, paho's network thread reading while the main thread
  writes. It keeps none of the consumer's guarantees (no last-write-wins, no validation, no
  dead letters). Also reports CPU per message, whose ratio (consumer / minimal) must stay at
  or below 1.2.
- `mqtt.consume_shared` (information): two consumers in one shared-subscription group, each in
  its own process, vs one consumer in its own process.

100,000 messages over 1,000 devices by default; `--messages 20000` gives the drain of about a
second where the first batch and the last write weigh more.

Run: `python -m benchmarks.bench_mqtt [--rounds N] [--messages N] [--only NAME ...]`
(MQTT_URL / MONGODB_URL to use running servers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
from domain_services.devices.ingestion import StatusConsumer, freeze_startup_objects
from domain_services.devices.status_store import DeviceMongoDBService, StatusUpdate
from domain_services.integrations.mongodb import BulkResult
from domain_services.integrations.mqtt import config_from_url
from domain_services.integrations.mqtt.settings import MQTTConfig
from domain_services.testing.mongodb import MongoWireServer
from domain_services.testing.mqtt import MosquittoBroker

ROOT = Path(__file__).resolve().parents[1]
DEVICES = 1000
# Long enough to measure a steady stream: with 20,000 a drain lasts about a second, of which the
# first batch and the last write (about 0.15 s on nx-27017) are a sixth.
MESSAGES = 100_000
BATCH = 500
FLUSH = 0.05
RECEIVE_MAXIMUM = 2 * BATCH
TOPIC = "devices/+/status"
GROUP = "bench"
IN_PROCESS = ("bare", "noop", "raw", "minimal", "store")
CONTENDERS = (*IN_PROCESS, "solo", "shared")


@dataclass(frozen=True)
class Run:
    """One contender's drain: wall seconds, this process's CPU seconds, the DB server's."""

    seconds: float
    cpu: float
    db_cpu: float = 0.0


def messages(count: int) -> list[tuple[str, bytes]]:
    start = datetime.now(UTC) - timedelta(hours=12)
    out = []
    for n in range(count):
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


def create_session(config: MQTTConfig, client_id: str, topic: str = TOPIC) -> None:
    """Subscribe once with a persistent session, so the broker queues what is published next."""
    client = paho_client(client_id)
    connect_persistent(client, config)
    subscribed: list[bool] = []
    client.on_subscribe = lambda *args: subscribed.append(True)
    client.subscribe(topic, qos=1)
    while not subscribed:
        client.loop(0.1)
    client.disconnect()
    client.loop(0.1)


def discard_session(config: MQTTConfig, client_id: str) -> None:
    """End a contender's session, so that later rounds do not queue messages for it."""
    client = paho_client(client_id)
    client.connect(config.host, config.port, 60, clean_start=True)
    client.loop(0.1)
    client.disconnect()
    client.loop(0.1)


def publish_all(config: MQTTConfig, batch: Sequence[tuple[str, bytes]]) -> None:
    client = paho_client(f"bench-publisher-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(config.host, config.port, 60)
    client.loop_start()
    # In slices: paho refuses to queue more than 65,535 messages (one per message id).
    step = 10_000
    for start in range(0, len(batch), step):
        infos = [
            client.publish(topic, payload, qos=1) for topic, payload in batch[start : start + step]
        ]
        for info in infos:
            info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


class Meter:
    """Wall and CPU time from `start()` until `finish()` (which may run on another thread)."""

    def __init__(self, db_pid: int | None) -> None:
        self.db_pid = db_pid
        self.result: Run | None = None

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        self._db = process_cpu(self.db_pid)

    def finish(self) -> None:
        if self.result is None:
            self.result = Run(
                seconds=time.perf_counter() - self._wall,
                cpu=time.process_time() - self._cpu,
                db_cpu=process_cpu(self.db_pid) - self._db,
            )


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by process `pid` (Linux), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_subscriber(config: MQTTConfig, client_id: str, count: int, meter: Meter) -> None:
    """Count QoS 1 messages with paho's automatic acks: the ceiling for any Python consumer."""
    client = paho_client(client_id)
    received = [0]

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        received[0] += 1
        if received[0] == count:
            meter.finish()

    client.on_message = on_message
    meter.start()
    connect_persistent(client, config)
    while received[0] < count:
        client.loop(0.1)
    client.disconnect()
    client.loop(0.1)


def raw_pipeline(
    config: MQTTConfig, client_id: str, database: Any, count: int, meter: Meter
) -> None:
    """Single-threaded: paho manual ack + raw pymongo unordered bulk upserts of the consumer's
    last-write-wins shape, batches of 500, nothing else (the `mqtt.consume_store` baseline)."""
    client = paho_client(client_id, manual_ack=True)
    collection = database["device_status"]
    ops: list[UpdateOne] = []
    mids: list[int] = []
    first = [0.0]
    done = [0]

    def on_message(client: Client, userdata: Any, message: MQTTMessage) -> None:
        body = json.loads(message.payload)
        timestamp = datetime.fromisoformat(body.pop("timestamp"))
        millis = int(timestamp.timestamp() * 1000)
        eui = message.topic.split("/")[1]
        body.update(timestamp=timestamp, timestamp_ms=millis, updated_at=datetime.now(UTC))
        ops.append(
            UpdateOne({"_id": eui, "timestamp_ms": {"$lt": millis}}, {"$set": body}, upsert=True)
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
    meter.start()
    connect_persistent(client, config)
    while done[0] < count:
        client.loop(FLUSH if not mids else max(0.0, first[0] + FLUSH - time.monotonic()))
        if mids and (len(mids) >= BATCH or time.monotonic() - first[0] >= FLUSH):
            flush()
    meter.finish()
    client.disconnect()
    client.loop(0.1)


class NoopStore:
    """Writes that do nothing (the consumer validates every message itself)."""

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkResult:
        return BulkResult(applied=len(updates))


class CountingConsumer(StatusConsumer):
    """The consumer, telling `on_acked` how many messages each write acknowledged."""

    def __init__(self, *, on_acked: Callable[[int], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_acked = on_acked

    def flush(self) -> bool:
        before = self.stats.acked
        done = super().flush()
        if self.stats.acked > before:
            self._on_acked(self.stats.acked - before)
        return done


def consumer_run(
    config: MQTTConfig,
    client_id: str,
    store: Any,
    database: Any,
    count: int,
    meter: Meter,
    *,
    group: str | None = None,
    stop: Callable[[], bool] | None = None,
    on_acked: Callable[[int], None] | None = None,
) -> StatusConsumer:
    """Run the ingestion consumer until `count` messages are acknowledged (or `stop()` says
    so); `on_acked` hears of each write's acknowledgements."""
    acked = [0]
    holder: list[StatusConsumer] = []

    def count_acks(n: int) -> None:
        acked[0] += n
        if on_acked is not None:
            on_acked(n)
        if acked[0] >= count:
            meter.finish()
            holder[0].stop()

    consumer = CountingConsumer(
        on_acked=count_acks,
        store=store,
        dead_letters=DeadLetterStore(database=database),
        config=config,
        client_id=client_id,
        shared_group=group,
        batch_size=BATCH,
        flush_interval=FLUSH,
    )
    holder.append(consumer)
    if stop is not None:

        def watch() -> None:
            while not stop():
                time.sleep(0.01)
            consumer.stop()

        threading.Thread(target=watch, daemon=True).start()
    freeze_startup_objects()  # as `manage.py mqtt_consume` does before it connects
    meter.start()
    stats = consumer.run(install_signal_handlers=False)
    assert stats.dead_lettered == 0, stats
    return consumer


def drain(name: str, config: MQTTConfig, client_id: str, db: Any, count: int, db_pid: Any) -> Run:
    """Contender `name` receives and handles the `count` messages queued for `client_id`."""
    meter = Meter(db_pid)
    if name == "bare":
        bare_subscriber(config, client_id, count, meter)
    elif name == "raw":
        raw_pipeline(config, client_id, db, count, meter)
    elif name == "noop":
        consumer_run(config, client_id, NoopStore(), db, count, meter)
    else:
        consumer_run(config, client_id, DeviceMongoDBService(database=db), db, count, meter)
    assert meter.result is not None
    return meter.result


def contender_process(
    name: str,
    mqtt_url: str,
    mongo_url: str,
    db_name: str,
    client_id: str,
    count: int,
    db_pid: int | None,
    results: Any,
) -> None:
    """`drain()` in a fresh interpreter, as each consumer would run in production: no
    contender inherits another's imports, allocations or garbage-collector state."""
    logging.basicConfig(level=logging.ERROR)
    config = config_from_url(mqtt_url, CONSUMER={"RECEIVE_MAXIMUM": RECEIVE_MAXIMUM})
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url, tz_aware=True)
    try:
        run = drain(name, config, client_id, client[db_name], count, db_pid)
        results.put((run.seconds, run.cpu, run.db_cpu))
    finally:
        client.close()


def drain_alone(
    name: str, mqtt_url: str, mongo_url: str, db_name: str, client_id: str, count: int, db_pid: Any
) -> Run:
    if name == "minimal":
        return drain_minimal(mqtt_url, mongo_url, db_name, client_id, count, db_pid)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=contender_process,
        args=(name, mqtt_url, mongo_url, db_name, client_id, count, db_pid, results),
    )
    process.start()
    seconds, cpu, db_cpu = results.get(timeout=600)
    process.join(60)
    return Run(seconds=seconds, cpu=cpu, db_cpu=db_cpu)


def drain_minimal(
    mqtt_url: str, mongo_url: str, db_name: str, client_id: str, count: int, db_pid: Any
) -> Run:
    """The hand-written consumer as the standalone script it is (`minimal_consumer.py`)."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.minimal_consumer",
        *("--mqtt", mqtt_url, "--mongo", mongo_url, "--db", db_name, "--client-id", client_id),
        *("--count", str(count), "--receive-maximum", str(RECEIVE_MAXIMUM)),
        *(("--db-pid", str(db_pid)) if db_pid else ()),
    ]
    output = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return Run(seconds=result["seconds"], cpu=result["cpu"], db_cpu=result["db_cpu"])


# -- shared subscriptions: each member in its own process ----------------------------------------


def member_process(
    mqtt_url: str,
    mongo_url: str,
    db_name: str,
    client_id: str,
    group: str,
    written: Any,
    go: Any,
    stop: Any,
    cpu: Any,
) -> None:
    """One shared-group member: waits for `go`, consumes until `stop`, reports its CPU."""
    logging.basicConfig(level=logging.ERROR)
    config = config_from_url(mqtt_url, CONSUMER={"RECEIVE_MAXIMUM": RECEIVE_MAXIMUM})
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url, tz_aware=True)
    database = client[db_name]

    def on_acked(n: int) -> None:
        with written.get_lock():
            written.value += n

    go.wait()
    meter = Meter(None)
    consumer_run(
        config,
        client_id,
        DeviceMongoDBService(database=database),
        database,
        sys.maxsize,
        meter,
        group=group,
        stop=stop.is_set,
        on_acked=on_acked,
    )
    meter.finish()
    assert meter.result is not None
    cpu.value = meter.result.cpu
    client.close()


def drain_group(
    mqtt_url: str,
    mongo_url: str,
    db_name: str,
    group: str,
    client_ids: Sequence[str],
    count: int,
    db_pid: Any,
) -> Run:
    """Members in child processes drain their shares; timed until all `count` are written."""
    context = multiprocessing.get_context("spawn")
    written = context.Value("q", 0)
    go, stop = context.Event(), context.Event()
    cpus = [context.Value("d", 0.0) for _ in client_ids]
    members = [
        context.Process(
            target=member_process,
            args=(mqtt_url, mongo_url, db_name, client_id, group, written, go, stop, cpu),
        )
        for client_id, cpu in zip(client_ids, cpus, strict=True)
    ]
    for member in members:
        member.start()
    time.sleep(1.0)  # the spawned interpreters import everything before the clock starts
    db_before = process_cpu(db_pid)
    start = time.perf_counter()
    go.set()
    while written.value < count:
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    db_cpu = process_cpu(db_pid) - db_before
    stop.set()
    for member in members:
        member.join(60)
    return Run(seconds=seconds, cpu=sum(cpu.value for cpu in cpus), db_cpu=db_cpu)


# -- the run -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_mqtt", description=__doc__)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_MQTT_ROUNDS", 5)))
    parser.add_argument(
        "--messages", type=int, default=int(os.environ.get("BENCH_MQTT_MESSAGES", MESSAGES))
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=CONTENDERS,
        help="run only these contenders (no BENCH lines "
        "for benchmarks missing one of their two sides)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every round's figures")
    args = parser.parse_args(argv)
    names = list(args.only or CONTENDERS)
    count = args.messages
    logging.basicConfig(level=logging.ERROR)

    broker = None if os.environ.get("MQTT_URL") else MosquittoBroker().start()
    mongo = None if os.environ.get("MONGODB_URL") else MongoWireServer()
    if mongo is not None:
        mongo.start()
    db_pid = mongo._process.pid if mongo is not None and mongo._process else None
    try:
        mqtt_url = os.environ.get("MQTT_URL") or broker.url  # type: ignore[union-attr]
        mongo_url = os.environ.get("MONGODB_URL") or mongo.url  # type: ignore[union-attr]
        config = config_from_url(mqtt_url, CONSUMER={"RECEIVE_MAXIMUM": RECEIVE_MAXIMUM})
        client: MongoClient[dict[str, Any]] = MongoClient(mongo_url, tz_aware=True)
        batch = messages(count)
        runs: dict[str, list[Run]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            tag = uuid.uuid4().hex[:6]
            ids = {name: f"bench-{name}-{tag}" for name in names}
            members = [f"bench-member{i}-{tag}" for i in (1, 2)]
            for name in names:
                if name == "shared":
                    for member in members:
                        create_session(config, member, f"$share/{GROUP}/{TOPIC}")
                elif name == "solo":
                    create_session(config, ids[name], f"$share/solo/{TOPIC}")
                else:
                    create_session(config, ids[name])
            publish_all(config, batch)
            # Rotate the order so that no contender always runs first, or on a warmer machine.
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                db = client[f"bench_{name}_{tag}"]
                if name == "shared":
                    run = drain_group(mqtt_url, mongo_url, db.name, GROUP, members, count, db_pid)
                elif name == "solo":
                    run = drain_group(
                        mqtt_url, mongo_url, db.name, "solo", [ids[name]], count, db_pid
                    )
                else:
                    run = drain_alone(name, mqtt_url, mongo_url, db.name, ids[name], count, db_pid)
                for client_id in members if name == "shared" else [ids[name]]:
                    discard_session(config, client_id)
                runs[name].append(run)
                if name not in ("bare", "noop"):
                    assert db["device_status"].count_documents({}) == DEVICES, name
                client.drop_database(db.name)
                if args.verbose:
                    print(
                        f"# round {round_ + 1} {name}: {count / run.seconds:.0f}/s "
                        f"cpu={run.cpu / count * 1e6:.0f}us/msg db_cpu={run.db_cpu:.1f}s",
                        flush=True,
                    )
        print_results(runs, count)
        client.close()
    finally:
        if broker is not None:
            broker.cleanup()
        if mongo is not None:
            mongo.close()
    return 0


def print_results(runs: dict[str, list[Run]], count: int) -> None:
    """One BENCH line per benchmark whose two sides ran: the median of the per-round ratios."""

    def rate(name: str) -> float:
        return statistics.median(count / run.seconds for run in runs[name])

    def ratio(subject: str, baseline: str) -> float:
        pairs = zip(runs[subject], runs[baseline], strict=True)
        return statistics.median(b.seconds / s.seconds for s, b in pairs)

    def cpu_us(name: str) -> float:
        return statistics.median(run.cpu for run in runs[name]) / count * 1e6

    def db_cpu(name: str) -> str:
        return f"{statistics.median(run.db_cpu for run in runs[name]):.1f}s"

    rounds = len(next(iter(runs.values()), []))
    if {"noop", "bare"} <= runs.keys():
        report(
            "mqtt.consume_noop",
            ratio("noop", "bare"),
            ">=0.6",
            consumer=f"{rate('noop'):.0f}/s",
            bare=f"{rate('bare'):.0f}/s",
            n=count,
            rounds=rounds,
        )
    if {"store", "raw"} <= runs.keys():
        report(
            "mqtt.consume_store",
            ratio("store", "raw"),
            ">=0.8",
            consumer=f"{rate('store'):.0f}/s",
            raw=f"{rate('raw'):.0f}/s",
            n=count,
            rounds=rounds,
        )
    if {"store", "minimal"} <= runs.keys():
        cpu_ratio = statistics.median(
            s.cpu / m.cpu for s, m in zip(runs["store"], runs["minimal"], strict=True)
        )
        report(
            "mqtt.consume_vs_minimal",
            ratio("store", "minimal"),
            ">=1.0",
            consumer=f"{rate('store'):.0f}/s",
            minimal=f"{rate('minimal'):.0f}/s",
            cpu_per_msg=f"{cpu_us('store'):.0f}us",
            minimal_cpu_per_msg=f"{cpu_us('minimal'):.0f}us",
            cpu_ratio=f"{cpu_ratio:.2f}<=1.2",
            db_cpu=db_cpu("store"),
            minimal_db_cpu=db_cpu("minimal"),
            n=count,
            rounds=rounds,
        )
    if {"shared", "solo"} <= runs.keys():
        report(
            "mqtt.consume_shared",
            ratio("shared", "solo"),
            "info",
            two=f"{rate('shared'):.0f}/s",
            one=f"{rate('solo'):.0f}/s",
            two_cpu_per_msg=f"{cpu_us('shared'):.0f}us",
            one_cpu_per_msg=f"{cpu_us('solo'):.0f}us",
            n=count,
            rounds=rounds,
        )


if __name__ == "__main__":
    sys.exit(main())
