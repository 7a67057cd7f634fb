"""Library errors become HTTP statuses on the server and the same errors again in the client."""

from __future__ import annotations

import uuid

import pytest

from domain_services import Conflict, NotFound, PermissionDenied, Unavailable, ValidationFailed
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.resources import ResourceClient
from tests.catalog.services import CategoryService, ProductDTO

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tools():
    return CategoryService().create(name="Tools")


def test_not_found_is_404_with_the_library_body(http, tools):
    missing = uuid.uuid4()
    response = http("GET", f"/api/v1/products/{missing}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert str(missing) in body["detail"]


def test_duplicate_is_409_and_conflict_in_the_client(http, remote_products, tools):
    fields = {"name": "Saw", "sku": "SAW-1", "price_cents": 1, "category": tools.uuid}
    remote_products.create(**fields)
    response = http("POST", "/api/v1/products/", json={**fields, "category": str(tools.uuid)})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    with pytest.raises(Conflict) as caught:
        remote_products.create(**fields)
    assert "sku" in str(caught.value)


def test_a_duplicate_names_its_fields_in_the_client_too(remote_products, tools):
    fields = {"name": "Saw", "sku": "SAW-1", "price_cents": 1, "category": tools.uuid}
    remote_products.create(**fields)
    with pytest.raises(Conflict) as caught:
        remote_products.create(**fields)
    # What a form shows on the field: the same as the service says in-process.
    assert caught.value.context["errors"] == {"sku": ["Product with this Sku already exists."]}


def test_deleting_a_protected_object_is_a_conflict(remote_categories, remote_products, tools):
    remote_products.create(name="Saw", sku="SAW-1", price_cents=1, category=tools.uuid)
    with pytest.raises(Conflict):
        remote_categories.delete(tools.uuid)


def test_service_validation_is_400_with_field_messages_and_the_same_error_back(
    http, remote_products, tools
):
    body = {"name": "Saw", "sku": "lower-case", "price_cents": 1, "category": str(tools.uuid)}
    response = http("POST", "/api/v1/products/", json=body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"sku": ["SKUs are upper-case."]}
    with pytest.raises(ValidationFailed) as caught:
        remote_products.create(**{**body, "category": tools.uuid})
    assert caught.value.errors == {"sku": ["SKUs are upper-case."]}


def test_serializer_validation_comes_back_as_validation_failed_per_field(remote_products, tools):
    with pytest.raises(ValidationFailed) as caught:
        remote_products.create(name="", sku="X", price_cents=-5, category=tools.uuid)
    assert set(caught.value.errors) == {"name", "price_cents"}


def test_a_missing_token_is_permission_denied_in_the_client(live_server, transactional_db):
    anonymous = ResourceClient(
        RestClient("catalog", live_server.url, token=None, retries=0), "products", ProductDTO
    )
    with pytest.raises(PermissionDenied):
        anonymous.get(uuid.uuid4())


def test_a_wrong_token_is_permission_denied_in_the_client(live_server, transactional_db):
    intruder = ResourceClient(
        RestClient("catalog", live_server.url, token="wrong-token", retries=0),
        "products",
        ProductDTO,
    )
    with pytest.raises(PermissionDenied):
        intruder.list()


@pytest.mark.parametrize(
    ("status", "body", "error", "fragment"),
    [
        (404, {"code": "not_found", "detail": "Gone."}, NotFound, "Gone."),
        (409, {"code": "conflict", "detail": "Taken."}, Conflict, "Taken."),
        (403, {"code": "permission_denied", "detail": "No."}, PermissionDenied, "No."),
        (401, {"code": "not_authenticated", "detail": "Who?"}, PermissionDenied, "Who?"),
        (503, {"code": "unavailable", "detail": "DB down."}, Unavailable, "DB down."),
        (500, {"code": "error", "detail": "Boom."}, Unavailable, "Boom."),
        (502, "<html>bad gateway</html>", Unavailable, "502"),
        (400, {"code": "invalid", "detail": "x", "errors": {"a": ["bad"]}}, ValidationFailed, "x"),
    ],
)
def test_the_client_maps_each_status_to_its_library_error(stub, status, body, error, fragment):
    stub.respond = lambda method, path, data: (status, body, 0)
    client = RestClient("catalog", stub.url, token="t", retries=0)
    with pytest.raises(error) as caught:
        client.request("GET", "products/")
    assert type(caught.value) is error
    assert fragment in str(caught.value)
    if error is Unavailable:
        assert "catalog service at" in str(caught.value)
        assert stub.url in str(caught.value)
    if error is ValidationFailed:
        assert caught.value.errors == {"a": ["bad"]}


def test_an_empty_success_body_is_none(stub):
    stub.respond = lambda method, path, data: (200, None, 0)
    client = RestClient("catalog", stub.url, token="t", retries=0)
    assert client.request("DELETE", "products/x") is None


def test_a_success_body_that_is_not_json_is_unavailable_naming_the_url(stub):
    stub.respond = lambda method, path, data: (200, b"<html>login page</html>", 0)
    client = RestClient("catalog", stub.url, token="t", retries=0)
    with pytest.raises(Unavailable, match="not JSON") as caught:
        client.request("GET", "products/")
    assert stub.url in str(caught.value)


def test_a_page_without_the_page_shape_is_unavailable_not_a_crash(stub):
    stub.respond = lambda method, path, data: (200, {"unexpected": True}, 0)
    products = ResourceClient(RestClient("catalog", stub.url, token="t"), "products", ProductDTO)
    with pytest.raises(Unavailable, match="is it the catalog API"):
        products.list()
