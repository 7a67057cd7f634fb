"""Faults the event pipeline survives, with real processes, a real Mosquitto and PostgreSQL.

The test process plays the owning domain: it writes `ledger.Entry` events to its outbox.
`manage.py relay_events` publishes them and `manage.py consume_events` applies them: one
`Effect` row per handler run, so a count proves each event applied once, none missing.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from django.db import connection, connections

from domain_services import events
from domain_services.events.models import InboxEvent, OutboxEvent
from domain_services.testing.mqtt import MosquittoBroker
from tests.events.harness import Process, counters, process_env, wait_for, write_entries
from tests.events.hostile import TOPIC, corpus, dumps, valid
from tests.ledger.handlers import record_effect
from tests.ledger.models import Effect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker, pytest.mark.slow]


@pytest.fixture(autouse=True)
def owner(settings):
    """This process owns the ledger: it writes the outbox and does not handle its own events."""
    settings.DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["ledger"]}
    events.unsubscribe(events.ObjectCreated, record_effect, target="ledger.Entry")
    yield
    events.subscribe(events.ObjectCreated, record_effect, target="ledger.Entry")


@pytest.fixture
def processes(transactional_db):
    """The processes a test starts, killed before the test database is flushed."""
    started: list[Process] = []
    yield started
    for process in started:
        if process.alive:
            process.popen.kill()  # type: ignore[union-attr]
            process.popen.wait(10)  # type: ignore[union-attr]


def start(processes: list[Process], command: str, env: dict[str, str], log: Path) -> Process:
    process = Process(command, env, log).start()
    processes.append(process)
    return process


def subscribed(process: Process, times: int = 1) -> Callable[[], bool]:
    return lambda: process.text().count("subscribed to events/") >= times


def effects() -> int:
    return Effect.objects.count()


def assert_each_applied_once(ids: list[uuid.UUID]) -> None:
    applied = list(Effect.objects.values_list("event_id", flat=True))
    assert len(applied) == len(ids), f"{len(applied)} effects for {len(ids)} events"
    assert set(applied) == set(ids)
    assert not OutboxEvent.objects.exists()


def test_relay_killed_three_times_mid_stream_every_event_applied_once(
    mosquitto: MosquittoBroker, tmp_path: Path, processes: list[Process]
) -> None:
    env = process_env(mosquitto.url)
    consumer = start(processes, "consume_events", env, tmp_path / "consumer.log")
    wait_for(subscribed(consumer), timeout=30, message="the consumer to subscribe")
    relay = start(processes, "relay_events", env, tmp_path / "relay.log")
    written: list[uuid.UUID] = []

    def write() -> None:
        try:
            written.extend(write_entries(10_000, per_transaction=100, rate=2_000))
        finally:
            connections.close_all()  # this thread's own connection

    writer = threading.Thread(target=write)
    writer.start()
    backlogs = []
    for kills in range(1, 4):
        wait_for(
            lambda k=kills, r=relay: r.text().count("Event relay connected") >= k,
            timeout=30,
            message="the relay to connect",
        )
        # Kill it in the middle of its work: once it has published part of the backlog.
        start_backlog = OutboxEvent.objects.count()
        wait_for(
            lambda b=start_backlog: OutboxEvent.objects.count() <= max(0, b - 300),
            timeout=30,
            message="the relay to publish",
        )
        backlogs.append(OutboxEvent.objects.count())
        relay.kill()
        relay = start(processes, "relay_events", env, tmp_path / "relay.log")
    writer.join(60)
    wait_for(lambda: effects() >= 10_000, timeout=90, message="every event applied")
    time.sleep(0.5)  # let a straggling duplicate show, if the inbox were to miss one

    assert relay.stop() == 0
    assert consumer.stop() == 0, consumer.text()[-3000:]
    assert len(backlogs) == 3 and any(backlogs), backlogs  # killed with work left
    assert_each_applied_once(written)
    final = counters(consumer.text(), "consume_events stopped:")
    print(f"relay killed with backlogs {backlogs}; consumer {final}")
    assert final["applied"] == 10_000 and final["refused"] == 0, final
    # Anything the killed relays published twice was recognised by the inbox.
    assert final["received"] == final["applied"] + final["duplicates"], final


def test_the_broker_down_while_the_owner_writes_delays_events_but_loses_none(
    mosquitto: MosquittoBroker, tmp_path: Path, processes: list[Process]
) -> None:
    env = process_env(mosquitto.url)
    consumer = start(processes, "consume_events", env, tmp_path / "consumer.log")
    wait_for(subscribed(consumer), timeout=30, message="the consumer to subscribe")
    relay = start(processes, "relay_events", env, tmp_path / "relay.log")
    first = write_entries(500)
    wait_for(lambda: effects() == 500, timeout=30, message="the first events applied")

    mosquitto.stop()
    during = write_entries(2_000)  # every write commits: the broker is not in its way
    assert OutboxEvent.objects.count() == 2_000
    time.sleep(1)
    assert effects() == 500
    mosquitto.start()

    wait_for(lambda: effects() >= 2_500, timeout=60, message="the backlog after the broker")
    assert relay.stop() == 0 and consumer.stop() == 0
    assert_each_applied_once(first + during)
    assert "Event relay disconnected" in relay.text()


def test_a_consumer_down_for_the_whole_stream_applies_it_on_restart(
    mosquitto: MosquittoBroker, tmp_path: Path, processes: list[Process]
) -> None:
    env = process_env(mosquitto.url)
    consumer = start(processes, "consume_events", env, tmp_path / "consumer.log")
    wait_for(subscribed(consumer), timeout=30, message="the consumer's session")
    assert consumer.stop() == 0
    relay = start(processes, "relay_events", env, tmp_path / "relay.log")

    written = write_entries(3_000)
    wait_for(lambda: not OutboxEvent.objects.exists(), timeout=60, message="all published")
    assert effects() == 0

    consumer = start(processes, "consume_events", env, tmp_path / "consumer.log")
    wait_for(lambda: effects() >= 3_000, timeout=60, message="the backlog applied")
    assert relay.stop() == 0 and consumer.stop() == 0
    assert_each_applied_once(written)
    assert "(session resumed)" in consumer.text()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_relays_never_publish_an_event_twice(
    mosquitto: MosquittoBroker, tmp_path: Path, processes: list[Process]
) -> None:
    received: list[str] = []
    lock = threading.Lock()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"tap-{uuid.uuid4().hex}")
    ready = threading.Event()

    def on_message(c, u, message):
        with lock:
            received.append(json.loads(message.payload)["id"])

    client.on_message = on_message
    client.on_subscribe = lambda *args: ready.set()
    client.connect(mosquitto.host, mosquitto.port)
    client.subscribe("events/#", qos=1)
    client.loop_start()
    assert ready.wait(10)
    env = process_env(mosquitto.url, TEST_RELAY_BATCH="50")
    written = write_entries(5_000)
    relays = [start(processes, "relay_events", env, tmp_path / f"relay{n}.log") for n in (1, 2)]
    try:
        wait_for(lambda: len(received) >= 5_000, timeout=60, message="every event published")
        time.sleep(0.5)
    finally:
        client.loop_stop()
        client.disconnect()

    assert all(relay.stop() == 0 for relay in relays)
    assert len(received) == 5_000 and set(received) == {str(i) for i in written}
    shares = [counters(r.text(), "relay_events stopped:")["published"] for r in relays]
    assert sum(shares) == 5_000 and all(shares), shares  # both relays did part of the work


def test_hostile_payloads_are_refused_and_the_consumer_goes_on(
    mosquitto: MosquittoBroker, tmp_path: Path, processes: list[Process]
) -> None:
    env = process_env(mosquitto.url)
    consumer = start(processes, "consume_events", env, tmp_path / "consumer.log")
    wait_for(subscribed(consumer), timeout=30, message="the consumer to subscribe")
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"evil-{uuid.uuid4().hex}")
    client.connect(mosquitto.host, mosquitto.port)
    client.loop_start()
    good = [valid(n) for n in range(20)]
    hostile = corpus()
    for n, (topic, payload, _) in enumerate(hostile):
        client.publish(TOPIC, dumps(good[n % 20]), qos=1).wait_for_publish(5)
        client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()

    wait_for(lambda: effects() >= 20, timeout=30, message="the valid events applied")
    wait_for(
        lambda: counters(consumer.text(), "Event consumer:").get("refused", 0) >= len(hostile),
        timeout=30,
        message="every hostile message refused",
    )
    assert consumer.alive
    assert consumer.stop() == 0
    final = counters(consumer.text(), "consume_events stopped:")
    assert final["refused"] == len(hostile) and final["applied"] == 20, final
    assert Effect.objects.count() == 20
    assert InboxEvent.objects.filter(status="applied").count() == 20
    reasons = re.findall(r"consume_events stopped: .* refused_by_reason=(\S+)", consumer.text())
    expected: dict[str, int] = {}
    for _, _, reason in hostile:
        expected[reason] = expected.get(reason, 0) + 1
    assert dict(item.split(":") for item in reasons[-1].split(",")) == {
        k: str(v) for k, v in expected.items()
    }
