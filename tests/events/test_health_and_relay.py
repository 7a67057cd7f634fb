"""/health reports the outbox; the relay keeps in the outbox what the broker did not confirm."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from domain_services import Unavailable, events
from domain_services.events.models import OutboxEvent
from domain_services.events.relay import Relay
from domain_services.integrations.rest.server.health import health

pytestmark = pytest.mark.django_db(transaction=True)


def write(count: int) -> None:
    with transaction.atomic():
        events.publish_many(
            [events.ObjectCreated("ledger.Entry", uuid.uuid4()) for _ in range(count)]
        )


class Broker:
    """A transport that confirms, or fails, what it is given."""

    def __init__(self) -> None:
        self.is_connected = True
        self.down = False
        self.published: list[tuple[str, bytes]] = []

    def send(self, messages):
        return list(messages)

    def confirm(self, receipt):
        if self.down:
            raise Unavailable("broker down")
        self.published += [(m.topic, m.payload) for m in receipt]


@pytest.fixture(autouse=True)
def outbox_on(settings):
    settings.DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["ledger"], "OUTBOX_MAX_AGE": 60}


def test_health_reports_the_backlog_and_the_oldest_events_age():
    write(3)

    healthy, body = health(shallow=True)

    outbox = body["checks"]["outbox"]
    assert outbox["status"] == "ok" and outbox["backlog"] == 3
    assert 0 <= outbox["oldest_age_seconds"] < 60
    assert outbox["required"] is False and healthy


def test_an_old_backlog_is_lagging_without_making_the_service_unhealthy():
    from datetime import timedelta

    from django.utils import timezone

    write(1)
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    healthy, body = health(shallow=True)

    assert body["checks"]["outbox"]["status"] == "lagging"
    assert body["checks"]["outbox"]["oldest_age_seconds"] >= 300
    assert healthy


def test_without_an_outbox_health_says_nothing_of_it(settings):
    settings.DOMAIN_SERVICES_EVENTS = None
    _, body = health(shallow=True)
    assert "outbox" not in body["checks"]


def test_the_relay_publishes_in_sequence_order_with_topics_and_sequences():
    write(5)
    broker = Broker()

    sent = Relay(broker, databases=["default"], prefix="events", batch_size=2).drain()

    assert sent == 5 and not OutboxEvent.objects.exists()
    assert {topic for topic, _ in broker.published} == {"events/ledger/Entry/created"}
    sequences = [int(p.split(b",", 1)[0].split(b":")[1]) for _, p in broker.published]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5


def test_what_the_broker_did_not_confirm_stays_in_the_outbox():
    write(4)
    broker = Broker()
    broker.down = True
    relay = Relay(broker, databases=["default"], prefix="events", batch_size=10)

    with pytest.raises(Unavailable):
        relay.relay_once("default")

    assert OutboxEvent.objects.count() == 4 and relay.stats.publish_failures == 1
    broker.down = False
    assert relay.relay_once("default") == 4
    assert not OutboxEvent.objects.exists()
