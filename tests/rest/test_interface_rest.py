"""The REST server and client derived from an interface declaration behave like the local one.

The catalog's API here is `interface_urls(Catalog)` and its client `client_for(Catalog, ...)`:
nothing about the domain is written for REST. Every call is made locally and over HTTP and the
answers compared, errors included.
"""

from __future__ import annotations

import uuid

import pytest

from domain_services import NotFound, ValidationFailed
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from tests.catalog.domain import CatalogDomain
from tests.catalog.interface import Catalog
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.rest.derived_urls")]

LOCAL = {"catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.domain.CatalogDomain"}}


@pytest.fixture
def local(settings) -> CatalogDomain:
    settings.DOMAIN_SERVICES = LOCAL
    return CatalogDomain()


@pytest.fixture
def remote(local, live_server) -> Catalog:
    rest = RestClient("catalog", live_server.url, token=SERVICE_TOKEN, read_timeout=5, retries=0)
    return client_for(Catalog, rest)


@pytest.fixture
def filled(local):
    tools = local.categories.create(name="Tools")
    garden = local.categories.create(name="Garden")
    products = [
        local.products.create(
            name=f"Product {n}",
            sku=f"SKU-{n:03d}",
            price_cents=100 * (8 - n),
            category=(tools if n % 2 else garden).uuid,
            active=n != 3,
        )
        for n in range(1, 8)
    ]
    return tools, garden, products


def test_the_client_is_the_interface(remote):
    assert isinstance(remote, Catalog) and Catalog.missing(remote) == []


def test_resources_answer_alike(local, remote, filled):
    tools, _garden, products = filled
    wanted = [p.uuid for p in products[:3]] + [uuid.uuid4()]
    assert remote.products.get(products[0].uuid) == local.products.get(products[0].uuid)
    assert remote.products.get_many(wanted) == local.products.get_many(wanted)
    for query in (
        {},
        {"ordering": "-price_cents", "page": 2, "page_size": 3},
        {"filters": {"category": tools.uuid, "active": True}},
        {"filters": {"sku": ["SKU-001", "SKU-004"]}, "ordering": "name"},
        {"search": "sku-00", "page_size": 2},
    ):
        assert remote.products.list(**query) == local.products.list(**query), query
    assert local.products.list().page_size == 50  # the declared default


def test_operations_answer_alike(local, remote, filled):
    _tools, garden, products = filled
    assert remote.products_of_category(category_uuid=garden.uuid) == local.products_of_category(
        category_uuid=garden.uuid
    )
    assert remote.cheapest(limit=2, active=True) == local.cheapest(limit=2, active=True)
    assert remote.cheapest() == local.cheapest()
    uuids = [products[0].uuid, uuid.uuid4()]
    assert remote.skus(uuids=uuids) == local.skus(uuids=uuids) == {str(products[0].uuid): "SKU-001"}

    changed = remote.set_price(product_uuid=products[0].uuid, price_cents=5)
    assert changed == local.products.get(products[0].uuid) and changed.price_cents == 5
    assert remote.retire(product_uuid=products[1].uuid) is None
    assert local.products.get(products[1].uuid).active is False


def test_errors_come_back_as_the_same_errors(remote, filled):
    with pytest.raises(NotFound):
        remote.products_of_category(category_uuid=uuid.uuid4())
    with pytest.raises(NotFound):
        remote.set_price(product_uuid=uuid.uuid4(), price_cents=1)
    with pytest.raises(ValidationFailed) as caught:
        remote.set_price(product_uuid=filled[2][0].uuid, price_cents=-1)
    assert "price_cents" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        remote.products.list(page_size=201)
    assert "page_size" in caught.value.errors


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/v1/cheapest?limit=x", None, "limit"),
        ("GET", "/api/v1/cheapest?limit=0", None, None),  # the domain's own rule: page_size
        ("GET", "/api/v1/cheapest?colour=red", None, "colour"),
        ("GET", "/api/v1/categories/not-a-uuid/products", None, "category_uuid"),
        ("GET", "/api/v1/skus?uuids=1", None, "uuids.0"),
        ("POST", "/api/v1/set-price", {"product_uuid": False, "price_cents": 1}, "product_uuid"),
        ("POST", "/api/v1/set-price", {"product_uuid": str(uuid.uuid4())}, "price_cents"),
        ("POST", "/api/v1/set-price", {"product_uuid": str(uuid.uuid4()), "x": 1}, "x"),
        ("POST", "/api/v1/products/", {"name": "A", "sku": "A", "price_cents": 1}, "category"),
        ("POST", "/api/v1/products/", {"name": 5, "sku": "A", "price_cents": 1}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_argument(http, local, method, path, body, field):
    response = http(method, path, json=body)
    assert response.status_code == 400, response.text
    if field:
        assert field in response.json()["errors"], response.json()


def test_the_schema_documents_the_operations_exactly(http, local):
    schema = http("GET", "/api/schema/?format=json").json()
    paths = schema["paths"]
    products = paths["/api/v1/categories/{category_uuid}/products/"]["get"]
    (parameter,) = products["parameters"]
    assert (parameter["name"], parameter["in"], parameter["schema"]["format"]) == (
        "category_uuid",
        "path",
        "uuid",
    )
    assert products["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {"400", "401", "404", "503"} <= set(products["responses"])
    cheapest = paths["/api/v1/cheapest/"]["get"]
    assert {p["name"]: p["schema"]["type"] for p in cheapest["parameters"]} == {
        "limit": "integer",
        "active": "boolean",
    }
    set_price = paths["/api/v1/set-price/"]["post"]
    assert "409" in set_price["responses"] and "requestBody" in set_price
    assert "/api/v1/products/{uuid}/" in paths
