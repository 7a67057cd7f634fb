"""The ModelService extension points projects use: find, clean_input, dto_sources, deletability."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from uuid import UUID

import pytest

from domain_services import Conflict, ModelService, ValidationFailed, services
from tests.catalog.models import Product
from tests.catalog.services import CategoryService, ProductService
from tests.orders.models import Order

pytestmark = pytest.mark.django_db


@dataclass(frozen=True, slots=True)
class ProductWithCategoryName:
    uuid: UUID
    name: str
    category_name: str


class NamedProducts(ModelService[Product, ProductWithCategoryName]):
    model = Product
    dto = ProductWithCategoryName
    dto_sources = {"category_name": "category__name"}


class ShoutingProducts(ProductService):
    def clean_input(self, fields):
        if "sku" in fields:
            fields["sku"] = fields["sku"].upper()
        return fields


def test_find_returns_every_match_unpaged_in_one_query(
    make_product, products, django_assert_num_queries
):
    made = [make_product(active=n % 2 == 0) for n in range(7)]
    with django_assert_num_queries(1):
        found = products.find(filters={"active": True}, ordering="name")
    assert [p.uuid for p in found] == [p.uuid for p in made if p.active]


def test_find_checks_its_arguments_like_list(products):
    with pytest.raises(ValidationFailed) as exc:
        products.find(filters={"price_cents": 1})
    assert "filters" in exc.value.errors


def test_dto_sources_fill_fields_from_related_columns(
    make_product, tools, django_assert_num_queries
):
    product = make_product(name="Drill")
    with django_assert_num_queries(1):
        got = NamedProducts().get_many([product.uuid])
    assert got[product.uuid] == ProductWithCategoryName(product.uuid, "Drill", tools.name)


def test_clean_input_normalises_before_validation(tools):
    made = ShoutingProducts().create(name="A", sku="lower-1", price_cents=1, category=tools.uuid)
    assert made.sku == "LOWER-1"  # the plain service refuses lower case; this one fixes it first


def test_ensure_deletable_reports_a_protected_reference_without_deleting(make_product, products):
    product = make_product()
    products.ensure_deletable(product.uuid)  # nothing refers to it yet
    Order.objects.create(product=product.uuid, quantity=1)
    with pytest.raises(Conflict):
        products.ensure_deletable(product.uuid)
    assert Product.objects.filter(uuid=product.uuid).exists()


def test_overriding_is_scoped_to_the_block(settings):
    stand_in = CategoryService()
    services.clear()
    seen_by_other_thread = []
    with services.overriding(catalog=stand_in):
        assert services.catalog is stand_in
        worker = threading.Thread(target=lambda: seen_by_other_thread.append(services.catalog))
        worker.start()
        worker.join()
    assert isinstance(seen_by_other_thread[0], ProductService)  # other threads keep settings
    assert isinstance(services.catalog, ProductService)
    services.clear()
