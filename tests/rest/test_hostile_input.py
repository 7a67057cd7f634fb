"""Every malformed input is a 4xx naming the problem, never a 500."""

from __future__ import annotations

import uuid

import pytest

from tests.catalog.services import CategoryService

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tools():
    return CategoryService().create(name="Tools")


def product(tools, **overrides):
    body = {"name": "Saw", "sku": "SAW-1", "price_cents": 100, "category": str(tools.uuid)}
    body.update(overrides)
    return body


def errors_of(response, status=400):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == "invalid"
    return body["errors"]


def test_malformed_json_is_400_naming_the_body(http, tools):
    response = http(
        "POST",
        "/api/v1/products/",
        data=b'{"name": "Saw",',
        headers={"Content-Type": "application/json"},
    )
    assert "body" in errors_of(response)


def test_a_json_list_instead_of_an_object_is_400(http, tools):
    response = http("POST", "/api/v1/products/", json=[1, 2])
    assert "__all__" in errors_of(response)


def test_unknown_fields_are_400_naming_them(http, tools):
    errors = errors_of(http("POST", "/api/v1/products/", json=product(tools, colour="red")))
    assert list(errors) == ["colour"]


def test_read_only_fields_are_refused_like_unknown_ones(http, tools):
    errors = errors_of(
        http("POST", "/api/v1/products/", json=product(tools, uuid=str(uuid.uuid4())))
    )
    assert list(errors) == ["uuid"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("price_cents", "cheap"), ("price_cents", [1]), ("name", {"a": 1}), ("active", "maybe")],
)
def test_wrong_types_are_400_naming_the_field(http, tools, field, value):
    errors = errors_of(http("POST", "/api/v1/products/", json=product(tools, **{field: value})))
    assert list(errors) == [field]


def test_a_malformed_uuid_reference_is_400_naming_it(http, tools):
    errors = errors_of(http("POST", "/api/v1/products/", json=product(tools, category="nope")))
    assert list(errors) == ["category"]


def test_a_reference_to_a_missing_object_is_400_naming_it(http, tools):
    errors = errors_of(
        http("POST", "/api/v1/products/", json=product(tools, category=str(uuid.uuid4())))
    )
    assert list(errors) == ["category"]
    assert "No category with UUID" in errors["category"][0]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_a_malformed_uuid_in_the_path_is_400_naming_uuid(http, tools, method):
    response = http(method, "/api/v1/products/not-a-uuid", json={"name": "x"})
    assert list(errors_of(response)) == ["uuid"]


def test_patch_with_an_unknown_field_is_400(http, remote_products, tools):
    saw = remote_products.create(**product(tools))
    assert list(errors_of(http("PATCH", f"/api/v1/products/{saw.uuid}", json={"x": 1}))) == ["x"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("page_size=201", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("ordering=sku", "ordering"),
        ("colour=red", "colour"),
        ("category=not-a-uuid", "category"),
        ("category=" + str(uuid.UUID(int=1)) + ",nope", "category"),
        ("active=maybe", "active"),
    ],
)
def test_bad_list_queries_are_400_naming_the_parameter(http, tools, query, named):
    assert named in errors_of(http("GET", f"/api/v1/products/?{query}"))


def test_a_page_past_the_end_is_an_empty_page_not_an_error(http, tools):
    response = http("GET", "/api/v1/products/?page=500")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_lookup_of_more_than_1000_uuids_is_400_naming_uuids(http, tools):
    uuids = [str(uuid.uuid4()) for _ in range(1001)]
    assert list(errors_of(http("POST", "/api/v1/products/lookup", json={"uuids": uuids}))) == [
        "uuids"
    ]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"uuids": ["nope"]}, "uuids.0"),
        ({"uuids": "nope"}, "uuids"),
        ({}, "uuids"),
        ({"uuids": [], "extra": 1}, "extra"),
    ],
)
def test_malformed_lookups_are_400_naming_the_field(http, tools, body, named):
    assert named in errors_of(http("POST", "/api/v1/products/lookup", json=body))


def test_a_form_body_is_415_in_the_error_shape(http, tools):
    response = http("POST", "/api/v1/products/", data={"name": "x"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_unsupported_method_is_405_in_the_error_shape(http, tools):
    response = http("PUT", f"/api/v1/products/{uuid.uuid4()}", json={})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
