"""Events: what the outbox costs a write, the relay against a bare publisher, commit-to-effect lag.

- `events.write_overhead`: `ModelService.create` with the outbox (the event row written in the
  same transaction) against the same creates without it; creates per second, ratio >= 0.8.
- `events.relay_throughput`: `relay_events`' loop (claim a batch with FOR UPDATE SKIP LOCKED,
  publish with QoS 1, wait for every PUBACK, delete the rows) against a bare paho publisher
  sending the same payloads to the same topics with the same in-flight window; events per
  second, ratio >= 0.8.
- `events.lag`: from the commit of a write to its effect in another process (relay, broker,
  consumer, inbox and handler: `manage.py relay_events` and `manage.py consume_events` as
  processes), at a steady rate; median and 99th percentile, information only.

PostgreSQL (DATABASE_URL, a throwaway test database) and a Mosquitto of its own (or MQTT_URL).
Interleaved rounds, best of each, so both sides see the same machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from paho.mqtt.client import CallbackAPIVersion, Client  # noqa: E402

from benchmarks.report import interleaved, report  # noqa: E402
from domain_services import events  # noqa: E402
from domain_services.events.models import OutboxEvent  # noqa: E402
from domain_services.events.outbox import claim  # noqa: E402
from domain_services.events.relay import Relay  # noqa: E402
from domain_services.events.settings import events_config  # noqa: E402
from domain_services.integrations.mqtt.events import MQTTTransport  # noqa: E402
from domain_services.integrations.mqtt.settings import config_from_url  # noqa: E402
from domain_services.testing.mqtt import MosquittoBroker  # noqa: E402
from tests.catalog.models import Category, Product  # noqa: E402
from tests.catalog.services import ProductService  # noqa: E402
from tests.ledger.handlers import record_effect  # noqa: E402
from tests.ledger.models import Effect  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CREATES = 300  # per round
RELAYED = 20_000
WINDOW = 1000  # QoS 1 messages awaiting their PUBACK, for both publishers
LAG_EVENTS = 1_000
LAG_RATE = 200.0  # events per second, one per transaction


def outbox(enabled: bool) -> None:
    settings.DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["catalog", "ledger"]} if enabled else None
    events_config.cache_clear()


def write_overhead() -> None:
    service = ProductService()
    category = Category.objects.create(name="Bench")
    counter = iter(range(10**9))

    def creates(enabled: bool) -> None:
        outbox(enabled)
        for _ in range(CREATES):
            n = next(counter)
            service.create(name=f"P{n}", sku=f"S-{n}", price_cents=n, category=category.uuid)

    with_outbox, without = interleaved(lambda: creates(True), lambda: creates(False), repeat=5)
    assert OutboxEvent.objects.filter(entity="Product").count() == 5 * CREATES
    OutboxEvent.objects.all().delete()
    Product.objects.all().delete()
    outbox(False)
    report(
        "events.write_overhead",
        without and with_outbox and without / with_outbox,
        ">=0.8",
        outbox=f"{CREATES / with_outbox:.0f}/s",
        plain=f"{CREATES / without:.0f}/s",
        n=CREATES,
        db=connection.vendor,
    )


def fill_outbox(count: int) -> list[tuple[str, bytes]]:
    """`count` events in the outbox; the messages the relay will publish for them."""
    outbox(True)
    for start in range(0, count, 1000):
        with transaction.atomic():
            events.publish_many(
                [
                    events.ObjectCreated("ledger.Entry", uuid.uuid4(), data={"n": n})
                    for n in range(start, min(count, start + 1000))
                ]
            )
    with claim("default", prefix="events") as claimed:
        return [(m.topic, m.payload) for m in claimed.next(count)]


def bare_publish(url: str, messages: list[tuple[str, bytes]]) -> None:
    config = config_from_url(url)
    client = Client(CallbackAPIVersion.VERSION2, client_id=f"bare-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(WINDOW)
    client.connect(config.host, config.port, 60)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def relay_throughput(url: str) -> None:
    transport = MQTTTransport(config_from_url(url), client_id="bench-relay", window=WINDOW)
    transport.start(wait=10)
    relay = Relay(transport, databases=["default"], prefix="events", batch_size=500)
    messages: list[tuple[str, bytes]] = []

    def relayed() -> None:
        assert relay.drain() == RELAYED

    def bare() -> None:
        bare_publish(url, messages)

    best_relay = best_bare = float("inf")
    try:
        for _ in range(3):
            messages[:] = fill_outbox(RELAYED)
            start = time.perf_counter()
            bare()
            best_bare = min(best_bare, time.perf_counter() - start)
            start = time.perf_counter()
            relayed()
            best_relay = min(best_relay, time.perf_counter() - start)
    finally:
        transport.close()
    report(
        "events.relay_throughput",
        best_bare / best_relay,
        ">=0.8",
        relay=f"{RELAYED / best_relay:.0f}/s",
        bare=f"{RELAYED / best_bare:.0f}/s",
        n=RELAYED,
        batch=500,
    )


def lag(url: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MQTT_URL": url,
        "TEST_EVENTS_DATABASE": connection.settings_dict["NAME"],
        "TEST_CONSUMER_ID": f"bench-lag-{uuid.uuid4().hex[:8]}",
    }
    command = [sys.executable, "-m", "django"]
    suffix = ["--settings", "tests.events.process_settings"]
    log = open(os.devnull, "wb")  # noqa: SIM115
    consumer = subprocess.Popen([*command, "consume_events", *suffix], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    relay = subprocess.Popen([*command, "relay_events", *suffix], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    committed: dict[uuid.UUID, datetime] = {}
    outbox(True)
    # This process owns the ledger's events; only the consumer process applies them.
    events.unsubscribe(events.ObjectCreated, record_effect, target="ledger.Entry")
    Effect.objects.all().delete()
    try:
        # Warm up: both processes connected and the consumer subscribed (a probe published
        # before it subscribed is lost, as the consumer has no session yet: probe again).
        deadline = time.monotonic() + 60
        probes: list[uuid.UUID] = []
        while not Effect.objects.filter(event_id__in=probes).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the relay and consumer did not start")
            probe = events.ObjectCreated("ledger.Entry", uuid.uuid4())
            events.publish(probe)
            probes.append(probe.id)
            time.sleep(0.5)
        started = time.monotonic()
        for n in range(LAG_EVENTS):
            event = events.ObjectCreated("ledger.Entry", uuid.uuid4(), data={"n": n})
            with transaction.atomic():
                events.publish(event)
            committed[event.id] = datetime.now(UTC)
            ahead = (n + 1) / LAG_RATE - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        while Effect.objects.filter(event_id__in=list(committed)).count() < LAG_EVENTS:
            if time.monotonic() > deadline + 120:
                raise RuntimeError("not every event was applied")
            time.sleep(0.1)
    finally:
        for process in (relay, consumer):
            process.terminate()
            process.wait(30)
        log.close()
    applied = dict(
        Effect.objects.filter(event_id__in=list(committed)).values_list("event_id", "applied_at")
    )
    lags = sorted((applied[key] - at).total_seconds() * 1000 for key, at in committed.items())
    p99 = lags[int(len(lags) * 0.99) - 1]
    report(
        "events.lag",
        statistics.median(lags) / 1000,
        "info",
        median=f"{statistics.median(lags):.0f}ms",
        p99=f"{p99:.0f}ms",
        n=LAG_EVENTS,
        rate=f"{LAG_RATE:.0f}/s",
        relay_poll="20ms",
    )


def main() -> None:
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    broker = None
    url = os.environ.get("MQTT_URL")
    if not url:
        broker = MosquittoBroker().start()
        url = broker.url
    try:
        write_overhead()
        relay_throughput(url)
        lag(url)
    finally:
        connections.close_all()
        if broker is not None:
            broker.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
