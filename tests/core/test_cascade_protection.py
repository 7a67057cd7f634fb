"""A deletion's cascade inside its own domain is protected like the object itself.

Deleting a product deletes its variants (a ForeignKey with CASCADE inside the catalog domain);
a PROTECT reference to one of those variants, in this process or in a domain served elsewhere,
must refuse the whole deletion before anything is deleted.
"""

from __future__ import annotations

import pytest

from domain_services import Conflict, Unavailable, events
from tests.catalog.models import Product, Variant
from tests.core.test_remote_references import LOCAL, ElsewhereBackend
from tests.orders.models import Reservation, Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_with_variants(make_product):
    product = make_product()
    row = Product.objects.get(uuid=product.uuid)
    variants = [Variant.objects.create(product=row, name=f"Size {n}") for n in (1, 2, 3)]
    return product, variants


@pytest.fixture
def variant_referrers(settings):
    ElsewhereBackend.asked = []
    ElsewhereBackend.batches = []
    ElsewhereBackend.answer = staticmethod(lambda target, uuid: [])
    settings.DOMAIN_SERVICES = {
        **LOCAL,
        "shipping": {
            "BACKEND": f"{ElsewhereBackend.__module__}.ElsewhereBackend",
            "REFERS_TO": ["catalog.Variant"],
        },
    }
    return ElsewhereBackend


def test_a_protect_reference_to_a_cascaded_object_here_refuses_the_deletion(
    products, product_with_variants
):
    product, variants = product_with_variants
    Shipment.objects.create(variant=variants[1].uuid)

    with pytest.raises(Conflict) as exc:
        products.delete(product.uuid)

    assert "orders.Shipment.variant" in exc.value.message
    assert str(variants[1].uuid) in exc.value.message
    assert exc.value.context["references"] == [
        {
            "target": "catalog.Variant",
            "uuid": str(variants[1].uuid),
            "referrer": "orders.Shipment.variant",
            "count": 1,
        }
    ]
    assert Product.objects.filter(uuid=product.uuid).exists()
    assert Variant.objects.filter(product__uuid=product.uuid).count() == 3


def test_ensure_deletable_sees_the_cascade_too(products, product_with_variants):
    product, variants = product_with_variants
    Shipment.objects.create(variant=variants[0].uuid)
    Shipment.objects.create(variant=variants[0].uuid)

    with pytest.raises(Conflict) as exc:
        products.ensure_deletable(product.uuid)

    assert exc.value.context["references"][0]["count"] == 2


def test_a_domain_elsewhere_is_asked_about_the_whole_cascade_in_one_batch(
    products, product_with_variants, variant_referrers
):
    product, variants = product_with_variants
    blocked = variants[2].uuid
    variant_referrers.answer = staticmethod(
        lambda target, uuid: ["shipping.Parcel.variant"] if uuid == blocked else []
    )

    with pytest.raises(Conflict, match=r"shipping\.Parcel\.variant"):
        products.delete(product.uuid)

    assert variant_referrers.batches == [{"catalog.Variant": sorted(v.uuid for v in variants)}]
    assert Variant.objects.filter(product__uuid=product.uuid).count() == 3


def test_a_referrer_elsewhere_that_is_down_keeps_the_cascade(
    products, product_with_variants, variant_referrers
):
    product, _ = product_with_variants

    def down(target, uuid):
        raise Unavailable("The shipping service cannot be reached.", domain="shipping")

    variant_referrers.answer = staticmethod(down)

    with pytest.raises(Unavailable):
        products.delete(product.uuid)
    assert Variant.objects.filter(product__uuid=product.uuid).count() == 3


def test_without_references_the_cascade_goes_and_every_removed_object_is_announced(
    products, product_with_variants, variant_referrers, django_capture_on_commit_callbacks
):
    product, variants = product_with_variants
    Reservation.objects.create(variant=variants[0].uuid)
    received: list[object] = []
    events.subscribe(events.ObjectDeleted, received.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            products.delete(product.uuid)
    finally:
        events.unsubscribe(events.ObjectDeleted, received.append)

    assert not Variant.objects.filter(uuid__in=[v.uuid for v in variants]).exists()
    assert sorted(received, key=str) == sorted(
        [events.ObjectDeleted("catalog.Product", product.uuid)]
        + [events.ObjectDeleted("catalog.Variant", v.uuid) for v in variants],
        key=str,
    )
    # The SET_NULL reference to a cascaded variant followed the deletion.
    assert list(Reservation.objects.values_list("variant", flat=True)) == [None]


def test_nobody_elsewhere_is_asked_when_no_domain_refers_to_the_app(
    products, make_product, settings
):
    settings.DOMAIN_SERVICES = {
        **LOCAL,
        "shipping": {
            "BACKEND": f"{ElsewhereBackend.__module__}.ElsewhereBackend",
            "REFERS_TO": ["billing.Invoice"],
        },
    }
    ElsewhereBackend.batches = []
    product = make_product()

    products.delete(product.uuid)

    assert ElsewhereBackend.batches == []
