"""`/api/v1/references/protecting` and the rest backend that asks it before a deletion."""

from __future__ import annotations

import uuid

import pytest

from domain_services import Conflict, Unavailable
from domain_services.reference_policies import ProtectedReference, remote_protecting_references
from tests.orders.models import Order, Review, Wish
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/references/protecting"
LOCAL_CATALOG = {"BACKEND": "local", "SERVICE": "tests.catalog.services.ProductService"}


@pytest.fixture
def product(make_product):
    return make_product()


def ask(http, targets):
    return http("POST", PATH, json={"targets": targets})


def test_names_the_protect_references_to_the_objects(http, product, make_product):
    other = make_product()
    Order.objects.create(product=product.uuid, quantity=1)
    Order.objects.create(product=product.uuid, quantity=2)
    # CASCADE and SET_NULL references do not forbid a deletion.
    Wish.objects.create(product=other.uuid)
    Review.objects.create(product=other.uuid, text="fine")

    response = ask(http, {"catalog.Product": [str(product.uuid), str(other.uuid)]})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "protected_by": [
            {
                "target": "catalog.Product",
                "uuid": str(product.uuid),
                "referrer": "orders.Order.product",
                "count": 2,
            }
        ]
    }


def test_no_reference_and_an_unknown_model_are_empty_answers(http, product):
    for target in ("catalog.Product", "catalog.Nothing", "elsewhere.Thing"):
        response = ask(http, {target: [str(product.uuid)]})
        assert response.status_code == 200, response.text
        assert response.json()["protected_by"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"targets": {"catalog": [str(uuid.uuid4())]}}, "targets"),
        ({"targets": {"catalog.Product.x": [str(uuid.uuid4())]}}, "targets"),
        ({"targets": {"catalog.Product": ["not-a-uuid"]}}, "targets.catalog.Product.0"),
        ({"targets": {"catalog.Product": str(uuid.uuid4())}}, "targets.catalog.Product"),
        ({"targets": ["catalog.Product"]}, "targets"),
        ({"targets": {"catalog.Product": [str(uuid.uuid4())] * 10_001}}, "targets.catalog.Product"),
        ({}, "targets"),
        ({"targets": {}, "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(http, body, field):
    response = http("POST", PATH, json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.json()


def test_the_rest_backend_asks_the_service_over_http(settings, live_server, product):
    Order.objects.create(product=product.uuid, quantity=1)
    settings.DOMAIN_SERVICES = {
        "catalog": LOCAL_CATALOG,
        "orders": {
            "BACKEND": "rest",
            "URL": live_server.url,
            "TOKEN": SERVICE_TOKEN,
            "REFERS_TO": ["catalog.Product"],
        },
    }

    asked = {"catalog.Product": [product.uuid, uuid.uuid4()]}
    assert remote_protecting_references(asked) == [
        ProtectedReference("catalog.Product", product.uuid, "orders.Order.product", 1)
    ]
    assert remote_protecting_references({"catalog.Product": [uuid.uuid4()]}) == []
    assert remote_protecting_references({"catalog.Category": [product.uuid]}) == []


def test_the_deletion_waits_when_the_referrer_is_down(settings, stub, product, products):
    settings.DOMAIN_SERVICES = {
        "catalog": LOCAL_CATALOG,
        "orders": {
            "BACKEND": "rest",
            "URL": stub.url,
            "TOKEN": SERVICE_TOKEN,
            "REFERS_TO": ["catalog.Product"],
            "OPTIONS": {"RETRIES": 0},
        },
    }
    stub.respond = lambda method, path, body: (503, {"code": "unavailable", "detail": "x"}, 0)
    with pytest.raises(Unavailable):
        products.delete(product.uuid)

    whole = {"target": "catalog.Product", "uuid": str(product.uuid), "referrer": "o.O.p"}
    for malformed in (
        "everything",
        [{"target": "catalog.Product"}],
        [{**whole, "count": 1, "uuid": False}],
        [{**whole, "count": True}],
        [{**whole, "count": 0}],
        ["orders.Order.product"],
    ):
        stub.respond = lambda method, path, body, m=malformed: (200, {"protected_by": m}, 0)
        with pytest.raises(Unavailable, match="orders"):
            products.delete(product.uuid)

    blocked = {
        "target": "catalog.Product",
        "uuid": str(product.uuid),
        "referrer": "orders.Order.product",
        "count": 3,
    }
    stub.respond = lambda method, path, body: (200, {"protected_by": [blocked]}, 0)
    with pytest.raises(Conflict, match=r"orders\.Order\.product \(3 times\)"):
        products.delete(product.uuid)

    assert products.get(product.uuid) == product
    assert stub.calls[-1]["path"] == PATH
    assert stub.calls[-1]["body"] == {"targets": {"catalog.Product": [str(product.uuid)]}}
