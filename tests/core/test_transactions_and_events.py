"""Writes are all or nothing; side effects and events run only after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from domain_services import Conflict, events
from tests.catalog.models import Product
from tests.catalog.services import ProductService
from tests.orders.models import Order, Review, Wish

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


class RecordingProducts(ProductService):
    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def after_create(self, dto):
        self.seen.append(("created", dto.uuid))

    def after_update(self, dto):
        self.seen.append(("updated", dto.name))

    def after_delete(self, dto):
        self.seen.append(("deleted", dto.uuid))


@pytest.fixture
def recording():
    return RecordingProducts()


@pytest.fixture
def received():
    got: list[object] = []
    handlers = [(kind, got.append) for kind in (events.ObjectCreated, events.ObjectDeleted)]
    for kind, handler in handlers:
        events.subscribe(kind, handler)
    yield got
    for kind, handler in handlers:
        events.unsubscribe(kind, handler)


def test_hooks_run_after_commit(recording, tools):
    with transaction.atomic():
        dto = recording.create(name="A", sku="A-1", price_cents=1, category=tools.uuid)
        assert recording.seen == []  # not yet: still inside the transaction
    assert recording.seen == [("created", dto.uuid)]

    recording.update(dto.uuid, name="B")
    recording.delete(dto.uuid)
    assert recording.seen[1:] == [("updated", "B"), ("deleted", dto.uuid)]


def test_a_rolled_back_transaction_stores_nothing_and_runs_no_side_effect(
    recording, tools, received
):
    with pytest.raises(Boom), transaction.atomic():
        recording.create(name="A", sku="A-1", price_cents=1, category=tools.uuid)
        raise Boom

    assert not Product.objects.filter(sku="A-1").exists()
    assert recording.seen == []
    assert received == []


def test_a_failed_write_inside_a_transaction_leaves_it_usable(recording, tools):
    with transaction.atomic():
        recording.create(name="A", sku="A-1", price_cents=1, category=tools.uuid)
        with pytest.raises(Conflict):
            recording.create(name="B", sku="A-1", price_cents=1, category=tools.uuid)
        recording.create(name="C", sku="C-1", price_cents=1, category=tools.uuid)
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["A-1", "C-1"]


def test_events_announce_creation_and_deletion_after_commit(products, tools, received):
    dto = products.create(name="A", sku="A-1", price_cents=1, category=tools.uuid)
    products.delete(dto.uuid)
    assert received == [
        events.ObjectCreated("catalog.Product", dto.uuid),
        events.ObjectDeleted("catalog.Product", dto.uuid),
    ]


def test_a_protected_reference_refuses_the_deletion(products, make_product):
    product = make_product()
    Order.objects.create(product=product.uuid, quantity=2)

    with pytest.raises(Conflict) as exc:
        products.delete(product.uuid)

    assert "orders.Order.product" in str(exc.value)
    assert Product.objects.filter(uuid=product.uuid).exists()


def test_cascade_and_set_null_references_follow_the_deletion(products, make_product):
    product = make_product()
    keep = make_product()
    Wish.objects.create(product=product.uuid)
    Review.objects.create(product=product.uuid, text="gone with it")
    Review.objects.create(product=keep.uuid, text="stays")

    products.delete(product.uuid)

    assert list(Wish.objects.values_list("product", flat=True)) == [None]
    assert list(Review.objects.values_list("text", flat=True)) == ["stays"]


def test_a_failing_event_handler_does_not_stop_the_ones_after_it(products, tools):
    got: list[object] = []

    def broken(event):
        raise RuntimeError("handler bug")

    events.subscribe(events.ObjectCreated, broken)
    events.subscribe(events.ObjectCreated, got.append)
    try:
        dto = products.create(name="A", sku="A-1", price_cents=1, category=tools.uuid)
    finally:
        events.unsubscribe(events.ObjectCreated, broken)
        events.unsubscribe(events.ObjectCreated, got.append)
    assert got == [events.ObjectCreated("catalog.Product", dto.uuid)]
