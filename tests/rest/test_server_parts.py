"""Health, OpenAPI schema, Swagger UI and the exception handler."""

from __future__ import annotations

import pytest
from django.db import connections
from rest_framework import exceptions

from domain_services import NotFound
from domain_services.integrations.rest.server.exceptions import exception_handler, flatten_errors
from domain_services.integrations.rest.server.health import (
    register_health_check,
    unregister_health_check,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_reports_the_database_ok(http):
    response = http("GET", "/health", token=None)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"


def test_a_failing_registered_check_makes_health_503(http):
    def broken():
        raise ConnectionError("broker down")

    register_health_check("mqtt", broken)
    try:
        response = http("GET", "/health", token=None)
    finally:
        unregister_health_check("mqtt")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["mqtt"]["status"] == "error"
    assert "broker down" in body["checks"]["mqtt"]["detail"]


def test_health_pings_each_rest_domain(http, settings, stub):
    stub.respond = lambda method, path, body: (503, {"status": "degraded"}, 0)
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "billing": {"BACKEND": "rest", "URL": stub.url, "TOKEN": "t"},
    }
    response = http("GET", "/health", token=None)
    assert response.status_code == 503
    billing = response.json()["checks"]["billing"]
    assert billing["status"] == "error"
    assert stub.url in billing["url"] if "url" in billing else stub.url in billing["detail"]
    assert stub.calls[0]["path"] == "/health?shallow=1"  # no ping-pong between services


def test_a_domain_that_is_not_required_is_reported_but_keeps_health_ok(http, settings):
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "billing": {"BACKEND": "rest", "URL": "http://127.0.0.1:9", "TOKEN": "t"},
        "shipping": {
            "BACKEND": "rest",
            "URL": "http://127.0.0.1:9",
            "TOKEN": "t",
            "REQUIRED": False,
        },
    }
    degraded = http("GET", "/health", token=None)
    assert degraded.status_code == 503  # billing is required
    settings.DOMAIN_SERVICES = {k: v for k, v in settings.DOMAIN_SERVICES.items() if k != "billing"}
    response = http("GET", "/health", token=None)
    assert response.status_code == 200, response.text
    shipping = response.json()["checks"]["shipping"]
    assert shipping["status"] == "error" and shipping["required"] is False


def test_a_malformed_required_flag_is_reported_not_raised(http, settings):
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "shipping": {"BACKEND": "rest", "URL": "http://127.0.0.1:9", "TOKEN": "t", "REQUIRED": 0},
    }
    response = http("GET", "/health", token=None)
    assert response.status_code == 503, response.text
    assert "['REQUIRED'] must be True or False" in response.json()["checks"]["shipping"]["detail"]


def test_shallow_health_skips_remote_domains(http, settings):
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "billing": {"BACKEND": "rest", "URL": "http://127.0.0.1:9", "TOKEN": "t"},
    }
    response = http("GET", "/health?shallow=1", token=None)
    assert response.status_code == 200
    assert "billing" not in response.json()["checks"]


def test_a_broken_database_is_reported_not_raised(monkeypatch):
    from domain_services.integrations.rest.server.health import health

    def refuse(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    healthy, body = health(shallow=True)
    assert not healthy
    assert "connection refused" in body["checks"]["database"]["detail"]


def test_the_schema_documents_every_action_with_its_serializers(http):
    response = http("GET", "/api/schema/?format=json", token=None)
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/products/"]) >= {"get", "post"}
    assert "post" in paths["/api/v1/products/lookup/"]
    assert set(paths["/api/v1/products/{uuid}/"]) >= {"get", "patch", "delete"}
    listing = paths["/api/v1/products/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "page",
        "page_size",
        "ordering",
        "category",
    }
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/ProductPage"}
    product = schema["components"]["schemas"]["ProductDTO"]
    assert set(product["properties"]) >= {"uuid", "sku", "price_cents", "category"}
    assert "serviceToken" in schema["components"]["securitySchemes"]


def test_swagger_ui_loads_its_assets_locally(http):
    response = http("GET", "/api/docs/", token=None)
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.text
    assert "cdn.jsdelivr.net" not in response.text
    assert "unpkg.com" not in response.text


def test_the_handler_gives_drf_errors_the_library_shape():
    response = exception_handler(exceptions.ValidationError({"a": ["bad"]}), {})
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["errors"] == {"a": ["bad"]}
    response = exception_handler(NotFound("Gone.", uuid="x"), {})
    assert (response.status_code, response.data["code"]) == (404, "not_found")


def test_nested_validation_errors_are_flattened_to_dotted_names():
    detail = {"items": [{}, {"sku": ["bad"]}], "non_field_errors": ["both"], "x": "one"}
    assert flatten_errors(detail) == {"items.1.sku": ["bad"], "__all__": ["both"], "x": ["one"]}


def test_an_unexpected_exception_is_a_logged_500_in_the_error_shape(caplog):
    response = exception_handler(ZeroDivisionError("bug"), {})
    assert response.status_code == 500
    assert response.data == {"code": "error", "detail": "Internal server error."}
    assert "ZeroDivisionError" in caplog.text
