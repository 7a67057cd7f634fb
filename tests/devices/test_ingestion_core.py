"""The ingestion consumer's core without a broker: validation order, dead letters, acks, retries."""

from __future__ import annotations

import base64
import gc
import io
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from paho.mqtt.client import MQTTMessage
from pymongo.database import Database

from domain_services import errors
from domain_services.devices import ingestion
from domain_services.devices.dead_letters import DeadLetterStore
from domain_services.devices.ingestion import ConsumerStats, StatusConsumer
from domain_services.devices.management.commands import mqtt_consume
from domain_services.devices.status_schema import Reason, StatusRejected, parse_timestamp
from domain_services.devices.status_store import DeviceMongoDBService, StatusUpdate
from domain_services.integrations.mongodb import BulkResult
from tests.devices.hostile_corpus import CORPUS, VICTIM
from tests.devices.mqtt_harness import consumer_config, eui, status

URL = "mqtt://127.0.0.1:1"


class Acks:
    def __init__(self) -> None:
        self.mids: list[int] = []
        self.qos: list[int] = []

    def ack(self, mid: int, qos: int) -> None:
        self.mids.append(mid)
        self.qos.append(qos)


class FlakyStore:
    """The real store, made to raise Unavailable or fail on demand."""

    def __init__(self, store: DeviceMongoDBService) -> None:
        self.store = store
        self.down = False
        self.fail_eui: str | None = None
        self.calls = 0

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkResult:
        self.calls += 1
        if self.down:
            raise errors.Unavailable("MongoDB is down")
        if self.fail_eui:
            keep = [u for u in updates if u.eui != self.fail_eui]
            result = self.store.bulk_update(keep)
            failed = {i: "refused" for i, u in enumerate(updates) if u.eui == self.fail_eui}
            return BulkResult(applied=result.applied, stale=result.stale, failures=failed)
        return self.store.bulk_update(updates)


@pytest.fixture
def database(fake_mongo_database: Database[Any]) -> Database[Any]:
    return fake_mongo_database


@pytest.fixture
def flaky(database: Database[Any]) -> FlakyStore:
    return FlakyStore(DeviceMongoDBService(database=database))


@pytest.fixture
def acks() -> Acks:
    return Acks()


@pytest.fixture
def consumer(flaky: FlakyStore, database: Database[Any], acks: Acks) -> StatusConsumer:
    return StatusConsumer(
        store=flaky,
        dead_letters=DeadLetterStore(database=database),
        config=consumer_config(URL, MAX_PAYLOAD_BYTES=16_384),
        acker=acks,
    )


def dead_letters(database: Database[Any]) -> list[dict[str, Any]]:
    return list(database["device_dead_letters"].find())


@pytest.mark.parametrize(("name", "topic", "payload", "reason"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_hostile_message_is_dead_lettered_with_its_reason_and_acked(
    consumer: StatusConsumer,
    database: Database[Any],
    acks: Acks,
    name: str,
    topic: str,
    payload: bytes,
    reason: str,
) -> None:
    consumer.receive(topic, payload, mid=7)
    assert consumer.flush()
    [letter] = dead_letters(database)
    assert (letter["reason"], letter["topic"]) == (reason, topic), letter["detail"]
    # Whatever is wrong with the payload, a valid EUI in the topic says which device sent it.
    assert letter["eui"] == (None if reason in (Reason.TOPIC, Reason.EUI) else VICTIM)
    assert base64.b64decode(letter["payload_b64"]) == payload
    assert letter["received_at"] is not None
    assert database["device_status"].count_documents({}) == 0
    assert acks.mids == [7]


def test_a_valid_status_is_stored_and_acked(
    consumer: StatusConsumer, flaky: FlakyStore, acks: Acks
) -> None:
    consumer.receive(f"devices/{eui(1).lower()}/status", status(1, battery=80, signal=-70), mid=3)
    assert consumer.flush()
    stored = flaky.store.get(eui(1))
    assert stored is not None and stored.fields["battery"] == 80
    assert stored.fields["signal"] == -70
    assert acks.mids == [3]
    assert (consumer.stats.received, consumer.stats.stored, consumer.stats.acked) == (1, 1, 1)


def test_acks_go_out_in_arrival_order_across_valid_and_dead_lettered(
    consumer: StatusConsumer, acks: Acks
) -> None:
    for mid in range(1, 11):
        payload = status(mid) if mid % 3 else b"not json"
        consumer.receive(f"devices/{eui(mid)}/status", payload, mid=mid)
    assert acks.mids == [], "nothing is acked before the batch is written"
    assert consumer.flush()
    assert acks.mids == list(range(1, 11))
    assert (consumer.stats.stored, consumer.stats.dead_lettered) == (7, 3)


def test_the_topic_shape_is_checked_first(
    consumer: StatusConsumer, database: Database[Any]
) -> None:
    consumer.receive("devices/70B3D57ED0000001/status/extra", b"\xff", mid=1)
    consumer.flush()
    assert [d["reason"] for d in dead_letters(database)] == [Reason.TOPIC]


def test_nothing_is_acked_while_the_store_is_down_and_all_is_written_after(
    consumer: StatusConsumer, flaky: FlakyStore, acks: Acks, database: Database[Any]
) -> None:
    flaky.down = True
    for mid in range(1, 6):
        consumer.receive(f"devices/{eui(mid)}/status", status(mid), mid=mid)
    assert not consumer.flush()
    assert not consumer.flush()
    assert acks.mids == [] and consumer.pending == 5
    flaky.down = False
    assert consumer.flush()
    assert acks.mids == [1, 2, 3, 4, 5]
    assert database["device_status"].count_documents({}) == 5
    assert dead_letters(database) == []


def test_a_handler_exception_is_dead_lettered_and_the_next_message_still_handled(
    consumer: StatusConsumer,
    flaky: FlakyStore,
    database: Database[Any],
    acks: Acks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def bug(eui: str, payload: bytes) -> Any:
        raise RuntimeError("bug in a handler")

    with monkeypatch.context() as patch:
        patch.setattr(consumer, "_decode_status", SimpleNamespace(update=bug))
        consumer.receive(f"devices/{eui(1)}/status", status(1), mid=1)
    consumer.receive(f"devices/{eui(2)}/status", status(2), mid=2)
    assert consumer.flush()
    [letter] = dead_letters(database)
    assert (letter["reason"], letter["eui"]) == (Reason.HANDLER_ERROR, eui(1))
    assert "RuntimeError: bug in a handler" in letter["detail"]
    assert flaky.store.get(eui(2)) is not None
    assert acks.mids == [1, 2]


def test_an_update_the_database_refuses_is_dead_lettered(
    consumer: StatusConsumer, flaky: FlakyStore, database: Database[Any]
) -> None:
    flaky.fail_eui = eui(2)
    for mid in (1, 2, 3):
        consumer.receive(f"devices/{eui(mid)}/status", status(mid), mid=mid)
    assert consumer.flush()
    [letter] = dead_letters(database)
    assert (letter["reason"], letter["eui"]) == (Reason.STORE_REJECTED, eui(2))
    assert database["device_status"].count_documents({}) == 2


def test_messages_from_a_previous_connection_are_written_but_not_acked(
    consumer: StatusConsumer, flaky: FlakyStore, acks: Acks
) -> None:
    consumer.receive(f"devices/{eui(1)}/status", status(1), mid=1)
    consumer._generation += 1  # a reconnect: mid 1 belongs to the old connection
    consumer.receive(f"devices/{eui(2)}/status", status(2), mid=1)
    assert consumer.flush()
    assert acks.mids == [1]
    assert consumer.stats.acked == 1
    assert flaky.store.get(eui(1)) is not None and flaky.store.get(eui(2)) is not None


def test_the_newest_status_wins_whatever_the_arrival_order(
    consumer: StatusConsumer, flaky: FlakyStore
) -> None:
    topic = f"devices/{VICTIM}/status"
    for mid, (seconds, battery) in enumerate([(30, 3), (10, 1), (30, 99), (20, 2)], 1):
        consumer.receive(topic, status(0, seconds=seconds, battery=battery), mid=mid)
        assert consumer.flush()
    stored = flaky.store.get(VICTIM)
    assert stored is not None and stored.fields["battery"] == 3
    assert consumer.stats.stale == 3


def test_within_one_batch_each_device_keeps_only_its_newest_update(
    consumer: StatusConsumer, flaky: FlakyStore, acks: Acks
) -> None:
    victim, other = f"devices/{VICTIM}/status", f"devices/{eui(2)}/status"
    arrivals = [(victim, 20, 2), (other, 5, 50), (victim, 10, 1), (victim, 30, 3), (victim, 30, 9)]
    for mid, (topic, seconds, battery) in enumerate(arrivals, 1):
        consumer.receive(topic, status(0, seconds=seconds, battery=battery), mid=mid)
    assert consumer.flush()
    stored = flaky.store.get(VICTIM)
    # The newest wins; of two equally new, the first to arrive (as one write after another).
    assert stored is not None and stored.fields["battery"] == 3
    assert flaky.store.get(eui(2)).fields["battery"] == 50  # type: ignore[union-attr]
    assert (consumer.stats.stored, consumer.stats.stale) == (2, 3)
    assert acks.mids == [1, 2, 3, 4, 5]
    assert flaky.calls == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-01T12:00:00.123456Z", datetime(2025, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2025-05-01T14:00:00+02:00", datetime(2025, 5, 1, 12, 0, tzinfo=UTC)),
        (1746100800, datetime(2025, 5, 1, 12, 0, tzinfo=UTC)),
        (1746100800.5, datetime(2025, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_timestamps_are_iso_8601_with_offset_or_epoch_seconds_to_the_millisecond(
    value: object, expected: datetime
) -> None:
    assert parse_timestamp(value) == expected


def test_a_timestamp_beyond_the_clock_skew_is_refused() -> None:
    with pytest.raises(StatusRejected) as excinfo:
        parse_timestamp("2025-05-03T12:00:01Z", now=datetime(2025, 5, 2, 12, 0, tzinfo=UTC))
    assert excinfo.value.reason == Reason.SCHEMA


def message(mid: int) -> tuple[bytes, bytes, int, int, bool, None]:
    """What the network thread hands the consumer for one QoS 1 message."""
    return f"devices/{eui(mid)}/status".encode(), status(mid), mid, 1, False, None


def test_reading_pauses_at_max_held_until_a_write_makes_room(
    consumer: StatusConsumer, flaky: FlakyStore, acks: Acks
) -> None:
    # A broker that ignores the Receive Maximum keeps sending while the store is down: the
    # consumer stops taking messages at max_held rather than holding all of them in memory.
    consumer.max_held = 4
    flaky.down = True
    for mid in range(1, 5):
        consumer._on_publish(*message(mid))
    assert not consumer.flush()
    fifth = threading.Thread(
        target=consumer._on_publish,
        args=message(5),
        daemon=True,
    )
    fifth.start()
    fifth.join(0.3)
    assert fifth.is_alive(), "the fifth message was taken while four were held"
    assert consumer.pending == 4
    flaky.down = False
    assert consumer.flush()
    fifth.join(5)
    assert not fifth.is_alive()
    assert consumer.pending == 1
    assert acks.mids == [1, 2, 3, 4]


def test_a_qos2_message_from_paho_s_own_reader_is_stored_and_acked_with_its_qos(
    consumer: StatusConsumer, acks: Acks, database: Database[Any]
) -> None:
    # DirectClient leaves QoS 2 to paho, which hands it to on_message.
    received = MQTTMessage(mid=7, topic=f"devices/{eui(7)}/status".encode())
    received.payload, received.qos = status(7, battery=77), 2
    consumer._on_message(None, None, received)  # type: ignore[arg-type]
    assert consumer.flush()
    assert (acks.mids, acks.qos) == ([7], [2])
    assert database["device_status"].find_one({"_id": eui(7)})["battery"] == 77


def test_freezing_start_up_objects_takes_them_out_of_the_collector_s_sight() -> None:
    before = gc.get_freeze_count()
    try:
        ingestion.freeze_startup_objects()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_the_command_freezes_start_up_objects_before_the_consumer_runs(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MONGODB = {
        "URL": "mongodb://127.0.0.1:1/devices",
        "OPTIONS": {"serverSelectionTimeoutMS": 50},
    }
    settings.MQTT = {"URL": URL}
    calls: list[str] = []
    monkeypatch.setattr(ingestion, "freeze_startup_objects", lambda: calls.append("freeze"))

    def run(self: StatusConsumer, **options: Any) -> ConsumerStats:
        calls.append("run")
        return ConsumerStats()

    monkeypatch.setattr(StatusConsumer, "run", run)
    out = io.StringIO()
    call_command(mqtt_consume.Command(), stdout=out)
    assert calls == ["freeze", "run"]
    assert "mqtt_consume stopped: received=0" in out.getvalue()
