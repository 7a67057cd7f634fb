"""reconcile_references: references to objects gone from their domain, found in batches and
repaired by each reference's policy."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from domain_services import services
from domain_services.reconciliation import dangling_references, repair
from tests.catalog.models import Product
from tests.orders.models import Order, Review, Wish

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gone_behind_the_events_back(make_product):
    """Products deleted without their events (a raw delete, as before the outbox existed)."""
    kept, gone = make_product(), make_product()
    Wish.objects.create(product=gone.uuid)
    Wish.objects.create(product=kept.uuid)
    Review.objects.create(product=gone.uuid, text="about a ghost")
    Review.objects.create(product=kept.uuid, text="stays")
    Order.objects.create(product=gone.uuid, quantity=1)
    Product.objects.filter(uuid=gone.uuid).delete()
    return kept, gone


def by_referrer(found):
    return {d.referrer: d for d in found}


def test_dangling_references_are_found_and_reported(gone_behind_the_events_back):
    _, gone = gone_behind_the_events_back

    found = by_referrer(dangling_references(batch_size=1))

    for referrer in ("orders.Wish.product", "orders.Review.product", "orders.Order.product"):
        assert found[referrer].missing == [gone.uuid], referrer
        assert found[referrer].rows == 1
    assert found["orders.Wish.product"].checked == 2


def test_the_owning_domain_is_asked_in_batches(gone_behind_the_events_back, monkeypatch):
    from tests.catalog.services import ProductService

    calls: list[int] = []
    original = ProductService.get_many

    def counting(self, uuids):
        uuids = list(uuids)
        calls.append(len(uuids))
        return original(self, uuids)

    monkeypatch.setattr(ProductService, "get_many", counting)
    for _ in range(7):
        Wish.objects.create(product=uuid.uuid4())

    found = by_referrer(dangling_references(batch_size=4))

    assert found["orders.Wish.product"].checked == 9
    assert len(found["orders.Wish.product"].missing) == 8
    assert calls and max(calls) <= 4 and sum(calls) >= 9


def test_apply_clears_set_null_deletes_cascade_and_leaves_protect(gone_behind_the_events_back):
    kept, gone = gone_behind_the_events_back
    found = by_referrer(dangling_references())

    changed = {referrer: repair(d) for referrer, d in found.items()}

    assert changed["orders.Wish.product"] == 1
    assert changed["orders.Review.product"] == 1
    assert changed["orders.Order.product"] == 0  # PROTECT: reported only
    assert sorted(Wish.objects.values_list("product", flat=True), key=str) == sorted(
        [None, kept.uuid], key=str
    )
    assert list(Review.objects.values_list("text", flat=True)) == ["stays"]
    assert Order.objects.filter(product=gone.uuid).exists()
    assert not [
        d for d in dangling_references() if d.missing and d.referrer != "orders.Order.product"
    ]


def reconcile(*args: str) -> str:
    """The command's report; it fails (exit 1) because the catalog serves no variants here."""
    out = StringIO()
    with pytest.raises(CommandError, match="could not be asked"):
        call_command("reconcile_references", *args, stdout=out)
    assert "orders.Shipment.variant -> catalog.Variant (protect): not checked: " in out.getvalue()
    return out.getvalue()


def test_the_command_reports_then_repairs(gone_behind_the_events_back):
    report = reconcile()
    assert (
        "orders.Wish.product -> catalog.Product (set_null): 1 of 2 referenced objects are gone"
        in report
    )
    assert "report only" in report
    assert Wish.objects.filter(product__isnull=True).count() == 0

    repaired = reconcile("--apply")

    assert "cleared 1 rows" in repaired and "deleted 1 rows" in repaired
    assert "protect: left as it is" in repaired
    assert Wish.objects.filter(product__isnull=True).count() == 1


def test_a_domain_that_cannot_be_asked_is_reported_and_fails_the_command(
    gone_behind_the_events_back, monkeypatch
):
    from domain_services import Unavailable
    from tests.catalog.services import ProductService

    def down(self, uuids):
        raise Unavailable("catalog is down")

    monkeypatch.setattr(ProductService, "get_many", down)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_references", "--apply", stdout=out)

    assert "not checked: catalog is down" in out.getvalue()
    assert Wish.objects.count() == 2 and Review.objects.count() == 2  # nothing touched
    assert services.catalog is not None
