"""A JSON value is what its schema says: `false` and integers are not UUIDs, `12` is not a string.

DRF converts generously (`UUIDField` turns `0` and `false` into the nil UUID); the API does not.
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework import serializers

from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.server.fields import StrictUUIDField, json_type_errors
from domain_services.uuids import parse_uuid, parse_uuids
from tests.catalog.services import CategoryService

pytestmark = pytest.mark.django_db(transaction=True)

NOT_UUIDS = [False, True, 0, 1, 2**128 - 1, 1.5, None, [], {}]


@pytest.fixture
def tools():
    return CategoryService().create(name="Tools")


def errors_of(response):
    assert response.status_code == 400, response.text
    return response.json()["errors"]


@pytest.mark.parametrize("value", NOT_UUIDS)
def test_lookup_refuses_anything_but_uuid_strings(http, tools, value):
    response = http("POST", "/api/v1/categories/lookup", json={"uuids": [value]})

    assert list(errors_of(response)) == ["uuids.0"]


def test_lookup_takes_uuid_strings_in_any_standard_form(http, tools):
    forms = [str(tools.uuid), tools.uuid.hex, str(tools.uuid).upper(), f"{{{tools.uuid}}}"]

    response = http("POST", "/api/v1/categories/lookup", json={"uuids": forms})

    assert response.status_code == 200, response.text
    assert [row["uuid"] for row in response.json()["results"]] == [str(tools.uuid)]


@pytest.mark.parametrize("value", [False, 0, 1])
def test_a_reference_of_false_or_an_integer_is_refused_naming_it(http, tools, value):
    body = {"name": "Saw", "sku": "S-1", "price_cents": 1, "category": value}

    assert list(errors_of(http("POST", "/api/v1/products/", json=body))) == ["category"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 12),  # DRF would store "12"
        ("sku", 1.5),
        ("price_cents", "7"),  # DRF would take the string
        ("price_cents", True),  # a bool is an int in Python, not in JSON
        ("price_cents", 7.0),
        ("active", "yes"),
        ("active", 1),
    ],
)
def test_a_value_of_another_json_type_is_refused_naming_the_field(http, tools, field, value):
    body = {"name": "Saw", "sku": "S-1", "price_cents": 1, "category": str(tools.uuid)}

    response = http("POST", "/api/v1/products/", json={**body, field: value})

    assert list(errors_of(response)) == [field]


@pytest.mark.parametrize("value", NOT_UUIDS)
def test_the_strict_field_refuses_what_drf_would_convert(value):
    with pytest.raises(serializers.ValidationError):
        StrictUUIDField().run_validation(value)


def test_the_strict_field_takes_strings_and_uuid_objects():
    value = uuid.uuid4()

    assert StrictUUIDField().run_validation(str(value)) == value
    assert StrictUUIDField().run_validation(value) == value


def test_nested_values_are_checked_all_the_way_down():
    fields = {
        "ids": serializers.ListField(child=serializers.UUIDField()),
        "args": serializers.DictField(child=serializers.IntegerField()),
    }

    errors = json_type_errors(fields, {"ids": [str(uuid.uuid4()), False], "args": {"a": "1"}})

    assert errors == {
        "ids.1": ["Must be a UUID string, not a boolean."],
        "args.a": ["Must be an integer, not a string."],
    }


@pytest.mark.parametrize("value", NOT_UUIDS)
def test_parse_uuid_in_process_takes_no_integers_or_booleans(value):
    with pytest.raises(ValidationFailed):
        parse_uuid(value)
    with pytest.raises(ValidationFailed):
        parse_uuids([value])
