"""The outbox: events commit with their change, in the same transaction, or not at all."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection, transaction

from domain_services import events
from domain_services.events import outbox
from domain_services.events.envelope import decode
from domain_services.events.models import OutboxEvent
from tests.catalog.models import Product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outbox_on(settings):
    settings.DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["catalog", "ledger"]}


class Boom(Exception):
    pass


def rows():
    return list(OutboxEvent.objects.order_by("id"))


def test_a_write_and_its_event_commit_together(outbox_on, products, tools):
    dto = products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)

    found = [r for r in rows() if r.entity == "Product"]
    assert [(r.domain, r.action, r.object_uuid) for r in found] == [
        ("catalog", "created", dto.uuid)
    ]
    payload = json.loads(found[0].payload)
    assert payload["v"] == 1 and payload["data"]["sku"] == "D-1"
    assert payload["uuid"] == str(dto.uuid)


def test_a_rolled_back_write_leaves_no_event(outbox_on, products, tools):
    with pytest.raises(Boom), transaction.atomic():
        products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)
        assert any(r.entity == "Product" for r in rows())  # written, in the transaction
        raise Boom

    assert not Product.objects.filter(sku="D-1").exists()
    assert not [r for r in rows() if r.entity == "Product"]


def test_updates_carry_the_changed_fields_and_the_new_state(outbox_on, products, tools):
    dto = products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)

    products.update(dto.uuid, name="Hammer drill", price_cents=100)

    updated = json.loads(rows()[-1].payload)
    assert updated["action"] == "updated"
    assert updated["changed"] == ["name"]
    assert updated["data"]["name"] == "Hammer drill"


def test_a_deletion_announces_every_object_it_removes(outbox_on, products, make_product):
    from tests.catalog.models import Variant

    product = make_product()
    variants = [Variant.objects.create(product_id=Product.objects.get(uuid=product.uuid).pk,
                                       name=f"V{n}") for n in range(2)]  # fmt: skip
    OutboxEvent.objects.all().delete()

    products.delete(product.uuid)

    assert sorted((r.entity, r.action, r.object_uuid) for r in rows()) == sorted(
        [("Product", "deleted", product.uuid)] + [("Variant", "deleted", v.uuid) for v in variants]
    )


def test_only_the_domains_the_outbox_names_are_recorded(settings, products, tools):
    settings.DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["users"]}

    products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)

    assert rows() == []


def test_without_the_setting_events_still_reach_this_process(products, tools):
    got = []
    events.subscribe(events.ObjectCreated, got.append, target="catalog.Product")
    try:
        dto = products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)
    finally:
        events.unsubscribe(events.ObjectCreated, got.append, target="catalog.Product")

    assert rows() == []
    assert got == [events.ObjectCreated("catalog.Product", dto.uuid)]
    assert got[0].data["sku"] == "D-1" and got[0].sequence is None


def test_local_handlers_see_the_same_event_the_outbox_holds(outbox_on, products, tools):
    got = []
    events.subscribe(events.ObjectCreated, got.append, target="catalog.Product")
    try:
        products.create(name="Drill", sku="D-1", price_cents=100, category=tools.uuid)
    finally:
        events.unsubscribe(events.ObjectCreated, got.append, target="catalog.Product")

    row = rows()[-1]
    message = outbox._messages([(row.id, row.domain, row.entity, row.action, row.payload)], "ev")
    remote = decode(message[0].topic, message[0].payload, prefix="ev", max_bytes=65536)
    local = got[0]
    assert (remote.id, remote.sequence, remote.data) == (local.id, row.id, local.data)
    assert remote == local


def test_the_backlog_counts_waiting_events_and_ages_the_oldest(outbox_on):
    assert outbox.backlog("default").count == 0
    with transaction.atomic():
        events.publish_many([events.ObjectCreated("ledger.Entry", uuid.uuid4()) for _ in range(3)])

    found = outbox.backlog("default")
    assert found.count == 3
    assert found.oldest_age is not None and 0 <= found.oldest_age < 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_claims_at_once_get_different_rows(outbox_on):
    import threading

    with transaction.atomic():
        events.publish_many([events.ObjectCreated("ledger.Entry", uuid.uuid4()) for _ in range(6)])
    held = threading.Event()
    release = threading.Event()
    first: list[int] = []

    def hold() -> None:
        from django.db import connections

        with outbox.claim("default", prefix="events") as claimed:
            first.extend(m.sequence for m in claimed.next(4))
            held.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    with outbox.claim("default", prefix="events") as claimed:
        second = [m.sequence for m in claimed.next(4)]
    release.set()
    thread.join(10)

    assert len(first) == 4 and len(second) == 2
    assert not set(first) & set(second)
