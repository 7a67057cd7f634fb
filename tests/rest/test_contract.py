"""ResourceClient over a live server returns what the local ModelService returns."""

from __future__ import annotations

import uuid

import pytest

from domain_services import NotFound
from tests.catalog.services import CategoryService, ProductService

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog():
    categories = CategoryService()
    tools = categories.create(name="Tools")
    garden = categories.create(name="Garden")
    products = ProductService()
    made = [
        products.create(
            name=f"Product {n}",
            sku=f"SKU-{n:03d}",
            price_cents=100 * n,
            category=(tools if n % 2 else garden).uuid,
            active=n != 3,
        )
        for n in range(1, 8)
    ]
    return {"tools": tools, "garden": garden, "products": made, "service": products}


def test_get_returns_the_same_dto_as_the_local_service(remote_products, catalog):
    local = catalog["service"].get(catalog["products"][0].uuid)
    assert remote_products.get(local.uuid) == local


def test_get_of_a_missing_object_is_not_found(remote_products, catalog):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        remote_products.get(missing)
    assert str(missing) in str(caught.value)


def test_get_many_returns_the_same_dict_as_the_local_service(remote_products, catalog):
    wanted = [p.uuid for p in catalog["products"][:4]] + [uuid.uuid4()]
    assert remote_products.get_many(wanted) == catalog["service"].get_many(wanted)
    assert remote_products.get_many([]) == {}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"ordering": "-price_cents", "page": 2, "page_size": 3},
        {"ordering": ["name"], "filters": {"active": False}},
        {"filters": {"sku": ["SKU-001", "SKU-004"]}, "ordering": "name"},
        {"page": 9, "page_size": 2},
    ],
)
def test_list_returns_the_same_page_as_the_local_service(remote_products, catalog, query):
    assert remote_products.list(**query) == catalog["service"].list(**query)


def test_list_filters_by_a_list_of_references(remote_products, catalog):
    filters = {"category": [catalog["tools"].uuid, catalog["garden"].uuid]}
    remote = remote_products.list(filters=filters, page_size=50)
    assert remote == catalog["service"].list(filters=filters, page_size=50)
    assert remote.total == 7


def test_list_with_an_empty_any_of_filter_is_an_empty_page(remote_products, catalog):
    page = remote_products.list(filters={"category": []})
    assert page == catalog["service"].list(filters={"category": []})
    assert page.total == 0


def test_create_update_delete_round_trip(remote_products, catalog):
    created = remote_products.create(
        name="Saw", sku="SAW-1", price_cents=999, category=catalog["tools"].uuid
    )
    assert created == catalog["service"].get(created.uuid)
    updated = remote_products.update(created.uuid, price_cents=1099, active=False)
    assert (updated.price_cents, updated.active) == (1099, False)
    assert updated == catalog["service"].get(created.uuid)
    remote_products.delete(created.uuid)
    with pytest.raises(NotFound):
        catalog["service"].get(created.uuid)


def test_a_domain_method_returns_dtos_through_get_dtos(rest, catalog):
    from domain_services.integrations.rest.interface_client import client_for
    from tests.catalog.interface import Catalog

    client = client_for(Catalog, rest)
    remote = client.products_of_category(category_uuid=catalog["garden"].uuid)
    local = catalog["service"].list(filters={"category": catalog["garden"].uuid}).items
    assert sorted(remote, key=lambda p: p.sku) == sorted(local, key=lambda p: p.sku)
    assert len(remote) == 3
