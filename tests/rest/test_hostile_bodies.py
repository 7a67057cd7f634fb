"""Bodies built to break the server: too large, too deep, not text. A 4xx each, never a 500."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.catalog.services import CategoryService

pytestmark = pytest.mark.django_db(transaction=True)

JSON = {"Content-Type": "application/json"}
# Python's decoder runs out of stack at about 945 levels; 1,000 is past it on any stack.
PAST_THE_STACK = 1_000


@pytest.fixture
def tools():
    return CategoryService().create(name="Tools")


def post(http, path, raw: str | bytes):
    return http("POST", path, data=raw.encode() if isinstance(raw, str) else raw, headers=JSON)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def errors_of(response):
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == "invalid"
    return body["errors"]


def test_a_body_over_the_upload_limit_is_413_in_the_error_shape(http, tools):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    raw = b'{"name": "' + b"x" * size + b'"}'

    response = post(http, "/api/v1/products/", raw)

    assert response.status_code == 413, response.text[:300]
    assert response.json()["code"] == "too_large"


def test_a_body_over_the_limit_is_413_for_plain_views_too(http):
    raw = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = post(http, "/api/v1/plain/body", raw)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_body_over_the_limit_read_by_a_view_outside_the_api_is_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    client = Client(raise_request_exception=False)

    response = client.generic("POST", "/staff/body", b"x" * 11, content_type="text/plain")

    assert response.status_code == 413


@pytest.mark.parametrize("depth", [65, 500, PAST_THE_STACK])
def test_a_body_nested_too_deep_is_400_naming_the_body(http, tools, depth):
    assert list(errors_of(post(http, "/api/v1/products/", nested(depth)))) == ["body"]


@pytest.mark.parametrize("depth", [65, PAST_THE_STACK])
def test_a_field_nested_too_deep_is_400_naming_the_field(http, tools, depth):
    raw = '{"sku": "S", "name": ' + nested(depth) + "}"

    assert list(errors_of(post(http, "/api/v1/products/", raw))) == ["name"]


def test_nesting_within_the_limit_is_ordinary_validation(http, tools):
    raw = '{"name": ' + nested(60) + "}"

    errors = errors_of(post(http, "/api/v1/products/", raw))

    assert "name" in errors
    assert "nested" not in json.dumps(errors)


def test_a_lone_surrogate_in_a_key_is_400_naming_it_escaped(http, tools):
    response = post(http, "/api/v1/products/", '{"\\ud800": 1}')

    errors = errors_of(response)
    assert list(errors) == ["\\ud800"]
    response.content.decode("utf-8")  # the whole body is valid UTF-8


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "ok", "tags": {"x": ["a", "\\udfff"]}}', "tags.x.1"),
        ('["\\ud83d"]', "body"),
    ],
)
def test_a_lone_surrogate_in_a_value_is_400_naming_where(http, tools, raw, named):
    assert list(errors_of(post(http, "/api/v1/products/", raw))) == [named]


def test_a_surrogate_pair_is_ordinary_text(http, tools):
    body = {"name": "Saw \U0001f600", "sku": "S-1", "price_cents": 1, "category": str(tools.uuid)}

    response = post(http, "/api/v1/products/", json.dumps(body))  # sent as \\ud83d\\ude00

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Saw \U0001f600"


def test_a_non_text_charset_is_400_not_a_decompression(http, tools):
    response = http(
        "POST",
        "/api/v1/products/",
        data=b"{}",
        headers={"Content-Type": "application/json; charset=bz2_codec"},
    )

    assert response.status_code == 400
    assert "body" in response.json()["errors"]
