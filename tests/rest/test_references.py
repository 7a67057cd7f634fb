"""`/api/v1/references/protecting` and the rest backend that asks it before a deletion."""

from __future__ import annotations

import uuid

import pytest

from domain_services import Conflict, Unavailable
from domain_services.reference_policies import remote_protecting_references
from tests.orders.models import Order, Review, Wish
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/references/protecting"
LOCAL_CATALOG = {"BACKEND": "local", "SERVICE": "tests.catalog.services.ProductService"}


@pytest.fixture
def product(make_product):
    return make_product()


def test_names_the_protect_references_to_the_object(http, product):
    Order.objects.create(product=product.uuid, quantity=1)
    # CASCADE and SET_NULL references do not forbid a deletion.
    Wish.objects.create(product=product.uuid)
    Review.objects.create(product=product.uuid, text="fine")

    response = http("POST", PATH, json={"target": "catalog.Product", "uuid": str(product.uuid)})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "target": "catalog.Product",
        "uuid": str(product.uuid),
        "protected_by": ["orders.Order.product"],
    }


def test_no_reference_and_an_unknown_model_are_empty_answers(http, product):
    for target in ("catalog.Product", "catalog.Nothing", "elsewhere.Thing"):
        response = http("POST", PATH, json={"target": target, "uuid": str(product.uuid)})
        assert response.status_code == 200, response.text
        assert response.json()["protected_by"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "catalog", "uuid": str(uuid.uuid4())}, "target"),
        ({"target": "catalog.Product.x", "uuid": str(uuid.uuid4())}, "target"),
        ({"target": "catalog.Product", "uuid": "not-a-uuid"}, "uuid"),
        ({"target": ["catalog.Product"], "uuid": str(uuid.uuid4())}, "target"),
        ({"uuid": str(uuid.uuid4())}, "target"),
        ({"target": "catalog.Product"}, "uuid"),
        ({"target": "catalog.Product", "uuid": str(uuid.uuid4()), "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(http, body, field):
    response = http("POST", PATH, json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


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

    assert remote_protecting_references("catalog.Product", product.uuid) == ["orders.Order.product"]
    assert remote_protecting_references("catalog.Product", uuid.uuid4()) == []
    assert remote_protecting_references("catalog.Category", product.uuid) == []


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

    stub.respond = lambda method, path, body: (200, {"protected_by": "everything"}, 0)
    with pytest.raises(Unavailable, match="orders"):
        products.delete(product.uuid)

    stub.respond = lambda method, path, body: (200, {"protected_by": ["orders.Order.product"]}, 0)
    with pytest.raises(Conflict, match=r"orders\.Order\.product"):
        products.delete(product.uuid)

    assert products.get(product.uuid) == product
    assert stub.calls[-1]["path"] == PATH
    assert stub.calls[-1]["body"] == {"target": "catalog.Product", "uuid": str(product.uuid)}
