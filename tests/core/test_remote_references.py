"""PROTECT references held by domains served elsewhere: asked before a deletion (REFERS_TO)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services import Conflict, Unavailable, services
from domain_services.backends import Backend
from domain_services.checks import check_domain_services
from domain_services.reference_policies import ProtectedReference, Targets, guard_delete
from tests.catalog.models import Product

pytestmark = pytest.mark.django_db

LOCAL = {"catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.services.ProductService"}}


Answer = Callable[[str, UUID], list[str]]


class ElsewhereBackend(Backend):
    """A domain served elsewhere, scripted: `answer(target, uuid)` names its PROTECT refs."""

    asked: ClassVar[list[tuple[str, UUID]]] = []
    batches: ClassVar[list[dict[str, list[UUID]]]] = []
    answer: ClassVar[Answer] = staticmethod(lambda target, uuid: [])

    def create_service(self) -> Any:
        return object()

    def protecting_references(self, targets: Targets) -> list[ProtectedReference]:
        type(self).batches.append({target: list(uuids) for target, uuids in targets.items()})
        found = []
        for target, uuids in targets.items():
            for uuid in uuids:
                type(self).asked.append((target, uuid))
                found += [
                    ProtectedReference(target, uuid, referrer)
                    for referrer in type(self).answer(target, uuid)
                ]
        return found


@pytest.fixture
def elsewhere(settings) -> type[ElsewhereBackend]:
    ElsewhereBackend.asked = []
    ElsewhereBackend.batches = []
    ElsewhereBackend.answer = staticmethod(lambda target, uuid: [])
    settings.DOMAIN_SERVICES = {
        **LOCAL,
        "shipping": {
            "BACKEND": f"{__name__}.ElsewhereBackend",
            "REFERS_TO": ["catalog.Product"],
        },
        "billing": {"BACKEND": f"{__name__}.ElsewhereBackend", "REFERS_TO": ["catalog.Category"]},
    }
    return ElsewhereBackend


def test_a_protect_reference_elsewhere_refuses_the_deletion(products, make_product, elsewhere):
    product = make_product()
    elsewhere.answer = staticmethod(lambda target, uuid: ["shipping.Parcel.product"])

    with pytest.raises(Conflict) as exc:
        products.delete(product.uuid)

    assert "shipping.Parcel.product" in exc.value.message
    assert exc.value.context["referrer"] == "shipping.Parcel.product"
    assert Product.objects.filter(uuid=product.uuid).exists()
    # Only the domain that refers to catalog.Product was asked, once, about this product.
    assert elsewhere.asked == [("catalog.Product", product.uuid)]


def test_no_protect_reference_elsewhere_lets_the_deletion_go_ahead(
    products, make_product, elsewhere
):
    product = make_product()

    products.delete(product.uuid)

    assert not Product.objects.filter(uuid=product.uuid).exists()
    assert elsewhere.asked == [("catalog.Product", product.uuid)]


def test_a_referrer_that_cannot_answer_keeps_the_object(products, make_product, elsewhere):
    product = make_product()

    def down(target: str, uuid: UUID) -> list[str]:
        raise Unavailable("The shipping service cannot be reached.", domain="shipping")

    elsewhere.answer = staticmethod(down)

    with pytest.raises(Unavailable):
        products.delete(product.uuid)
    with pytest.raises(Unavailable):
        products.ensure_deletable(product.uuid)

    assert Product.objects.filter(uuid=product.uuid).exists()


def test_ensure_deletable_asks_elsewhere_too(products, make_product, elsewhere):
    product = make_product()
    elsewhere.answer = staticmethod(lambda target, uuid: ["shipping.Parcel.product"])

    with pytest.raises(Conflict, match=r"shipping\.Parcel\.product"):
        products.ensure_deletable(product.uuid)


def test_only_the_domains_that_refer_to_the_model_are_asked(categories, elsewhere):
    category = categories.create(name="Garden")
    elsewhere.answer = staticmethod(lambda target, uuid: [f"billing.Invoice.{target}"])

    guard_delete({"catalog.Tag": [category.uuid]})  # nobody lists catalog.Tag
    guard_delete({"catalog.Category": [category.uuid]}, remote=False)  # this process only
    assert elsewhere.asked == []

    with pytest.raises(Conflict, match=r"billing\.Invoice\.catalog\.Category"):
        guard_delete({"catalog.Category": [category.uuid]})
    assert elsewhere.asked == [("catalog.Category", category.uuid)]


def test_refers_to_must_be_a_list_of_model_labels(settings):
    for bad in ["catalog.Product", ["catalog"], ["catalog.Product.name"], [3], ["catalog."]]:
        settings.DOMAIN_SERVICES = {
            **LOCAL,
            "shipping": {"BACKEND": f"{__name__}.ElsewhereBackend", "REFERS_TO": bad},
        }
        with pytest.raises(ImproperlyConfigured, match=r"\['shipping'\]\['REFERS_TO'\]"):
            services.backend("shipping").refers_to()
        messages = [error.msg for error in check_domain_services()]
        assert any("REFERS_TO" in message for message in messages), (bad, messages)
