"""The consumer's broker-free core: every message checked at the edge, each event applied once,
acknowledged in arrival order only after its transaction committed."""

from __future__ import annotations

import pytest

from domain_services.events.inbox import Inbox
from domain_services.events.models import InboxEvent
from domain_services.events.settings import ConsumerConfig
from domain_services.integrations.mqtt.events import EventConsumer
from domain_services.integrations.mqtt.settings import config_from_url
from tests.events.hostile import BAD_TOPICS, TOPIC, corpus, dumps, valid
from tests.ledger.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


class Acker:
    def __init__(self) -> None:
        self.acked: list[int] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append(mid)


@pytest.fixture
def acker() -> Acker:
    return Acker()


@pytest.fixture
def consumer(acker: Acker) -> EventConsumer:
    return EventConsumer(
        topics=[TOPIC],
        prefix="events",
        client_id="test-consumer",
        options=ConsumerConfig(batch_size=50, max_attempts=2),
        config=config_from_url("mqtt://127.0.0.1:1"),
        acker=acker,
    )


def test_each_event_is_applied_once_however_often_it_arrives(consumer, acker):
    bodies = [valid(n) for n in range(10)]
    for mid, body in enumerate(bodies + bodies[:4], start=1):
        consumer.receive(TOPIC, dumps(body), mid=mid)
    assert consumer.flush()
    # A redelivery after the batch was applied (a relay that published it twice).
    consumer.receive(TOPIC, dumps(bodies[0]), mid=15)
    assert consumer.flush()

    assert Effect.objects.count() == 10
    assert consumer.stats.applied == 10 and consumer.stats.duplicates == 5
    assert acker.acked == list(range(1, 16))
    assert InboxEvent.objects.filter(status="applied").count() == 10


def test_hostile_messages_are_refused_with_a_reason_and_acknowledged(consumer, acker):
    cases = corpus() + [(topic, dumps(valid()), reason) for topic, reason in BAD_TOPICS]
    good = [valid(n) for n in range(3)]
    messages = [(TOPIC, dumps(good[0]), None), *cases, (TOPIC, dumps(good[1]), None)]
    messages.append((TOPIC, dumps(good[2]), None))
    for mid, (topic, payload, _) in enumerate(messages, start=1):
        consumer.receive(topic, payload, mid=mid)
    while consumer.pending:
        assert consumer.flush()

    expected: dict[str, int] = {}
    for _, _, reason in cases:
        expected[reason] = expected.get(reason, 0) + 1
    assert dict(consumer.stats.refused_by_reason) == expected
    assert consumer.stats.refused == len(cases)
    assert Effect.objects.count() == 3
    assert acker.acked == list(range(1, len(messages) + 1))  # in arrival order, none skipped


def test_an_event_a_handler_refuses_is_recorded_rejected_and_the_rest_applied(consumer, acker):
    bad = valid(1, data={"invalid": True})
    for mid, body in enumerate([valid(0), bad, valid(2)], start=1):
        consumer.receive(TOPIC, dumps(body), mid=mid)

    assert consumer.flush()

    assert Effect.objects.count() == 2
    assert InboxEvent.objects.get(event_id=bad["id"]).status == "rejected"
    assert consumer.stats.rejected == 1 and acker.acked == [1, 2, 3]


def test_a_failing_handler_is_retried_then_recorded_failed(consumer, acker):
    bad = valid(1, data={"boom": True})
    for mid, body in enumerate([valid(0), bad, valid(2)], start=1):
        consumer.receive(TOPIC, dumps(body), mid=mid)

    assert not consumer.flush()  # attempt 1 of 2: nothing acknowledged, tried again later
    assert acker.acked == []
    assert consumer.flush()

    row = InboxEvent.objects.get(event_id=bad["id"])
    assert row.status == "failed" and "a handler bug" in row.detail
    assert Effect.objects.count() == 2
    assert consumer.stats.failed == 1 and acker.acked == [1, 2, 3]


def test_a_database_outage_acknowledges_nothing(consumer, acker, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    consumer.receive(TOPIC, dumps(valid(0)), mid=1)
    monkeypatch.setattr(Inbox, "_known", down)
    assert not consumer.flush()
    assert acker.acked == [] and consumer.pending == 1
    monkeypatch.undo()

    assert consumer.flush()
    assert acker.acked == [1] and Effect.objects.count() == 1


def test_events_nobody_here_handles_are_acknowledged_without_a_write(consumer, acker):
    topic = "events/ledger/Entry/updated"  # the ledger handles creations only
    consumer.receive(topic, dumps(valid(0, action="updated")), mid=1)

    assert consumer.flush()

    assert consumer.stats.ignored == 1 and acker.acked == [1]
    assert InboxEvent.objects.count() == 0


def test_two_consumers_applying_one_event_at_once_apply_it_once():
    import threading

    from django.db import connections

    from domain_services.events.envelope import decode

    event = decode(TOPIC, dumps(valid(0)), prefix="events", max_bytes=65536)
    inbox = Inbox()
    original = inbox._known

    def other_consumer() -> None:
        # Another process applies and commits the same event, on its own connection.
        Effect.objects.create(event_id=event.id, entry=event.uuid)
        InboxEvent.objects.create(
            event_id=event.id, domain="ledger", entity="Entry", action="created",
            object_uuid=event.uuid,
        )  # fmt: skip
        connections.close_all()

    def racing(ids):
        found = original(ids)
        if not racing.done:  # type: ignore[attr-defined]
            racing.done = True  # type: ignore[attr-defined]
            thread = threading.Thread(target=other_consumer)
            thread.start()
            thread.join(10)
        return found

    racing.done = False  # type: ignore[attr-defined]
    inbox._known = racing  # type: ignore[method-assign]

    assert inbox.apply([event]) == ["duplicate"]
    assert Effect.objects.count() == 1
