"""The OpenAPI schema says what the server does, so generated clients and fuzzers meet no surprise.

Each test reads the schema and then asks the server the same thing the schema promises.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.catalog.services import CategoryService
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {SERVICE_TOKEN}"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return json.loads(Client().get("/api/schema/?format=json").content)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def parameter(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def component(schema, ref):
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_request_bodies_refuse_unknown_fields(schema, client):
    bodies = 0
    for _, _, operation in operations(schema):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert component(schema, media["schema"]["$ref"])["additionalProperties"] is False
            bodies += 1
    assert bodies >= 6
    # ...as the server does.
    response = client.post(
        "/api/v1/categories/", {"name": "x", "colour": "red"}, "application/json", **AUTH
    )
    assert response.status_code == 400 and "colour" in response.json()["errors"]


def test_page_and_page_size_carry_the_bounds_the_server_enforces(schema, client):
    listing = schema["paths"]["/api/v1/products/"]["get"]
    page = parameter(listing, "page")["schema"]
    page_size = parameter(listing, "page_size")["schema"]

    assert page["minimum"] == 1 and page_size["minimum"] == 1
    assert page_size["maximum"] == 200  # ProductViewSet.max_page_size
    for query, status in [
        (f"page_size={page_size['maximum']}", 200),
        (f"page_size={page_size['maximum'] + 1}", 400),
        (f"page={page['maximum']}", 200),
        (f"page={page['maximum'] + 1}", 400),
    ]:
        assert client.get(f"/api/v1/products/?{query}", **AUTH).status_code == status, query


def test_ordering_is_a_pattern_of_the_declared_keys(schema, client):
    listing = schema["paths"]["/api/v1/products/"]["get"]
    pattern = parameter(listing, "ordering")["schema"]["pattern"]

    for value in ["name", "-price_cents,name", ""]:
        assert re.fullmatch(pattern, value)
        assert client.get(f"/api/v1/products/?ordering={value}", **AUTH).status_code == 200
    for value in ["sku", "name,", " name", "name,,price_cents"]:
        assert not re.fullmatch(pattern, value)
        assert client.get(f"/api/v1/products/?ordering={value}", **AUTH).status_code == 400


def test_filters_are_typed_like_their_fields(schema, client):
    listing = schema["paths"]["/api/v1/products/"]["get"]
    category = parameter(listing, "category")

    assert category["schema"] == {
        "type": "array",
        "items": {"type": "string", "format": "uuid"},
        "minItems": 1,
    }
    assert category["style"] == "form" and category["explode"] is False
    assert parameter(listing, "active")["schema"]["items"] == {"type": "boolean"}
    assert parameter(listing, "sku")["schema"]["type"] == "string"  # commas are data in text
    # A boolean is `true` or `false`, as documented; DRF alone would also take `yes` or `1`.
    assert client.get("/api/v1/products/?active=true", **AUTH).status_code == 200
    assert client.get("/api/v1/products/?active=yes", **AUTH).status_code == 400


def test_uuid_path_parameters_are_uuids_in_every_view(schema):
    typed = 0
    for path, _, operation in operations(schema):
        if "{uuid}" in path:
            assert parameter(operation, "uuid")["schema"] == {"type": "string", "format": "uuid"}
            typed += 1
    assert typed >= 7  # the hand-written products-of-category view included


def test_every_error_the_server_can_answer_is_documented(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        expected = {"401", "503"}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("400")
        if "{uuid}" in path:
            expected.add("404")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error")
        assert "Retry-After" in responses["503"]["headers"]


def test_a_malformed_uuid_and_an_unknown_one_answer_as_documented(schema, client):
    CategoryService().create(name="Tools")
    documented = schema["paths"]["/api/v1/categories/{uuid}/products/"]["get"]["responses"]

    malformed = client.get("/api/v1/categories/nope/products/", **AUTH)
    unknown = client.get(f"/api/v1/categories/{uuid.uuid4()}/products/", **AUTH)

    assert str(malformed.status_code) in documented and malformed.status_code == 400
    assert str(unknown.status_code) in documented and unknown.status_code == 404
