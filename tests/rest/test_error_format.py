"""Every error under the API is JSON in its one format, whoever answers; a database outage is 503.

DRF's exception handler shapes what its views raise; `APIErrorMiddleware` the rest: unknown URLs,
plain Django views, exceptions raised by other middleware, Django's debug pages.
"""

from __future__ import annotations

import json

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import Client
from rest_framework.renderers import JSONRenderer

from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.server.exceptions import exception_handler
from domain_services.integrations.rest.server.middleware import APIErrorMiddleware
from tests.catalog.services import ProductService
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {SERVICE_TOKEN}"}


def assert_error_format(response, status, code):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"code", "detail", "errors", "context"}
    return body


@pytest.fixture
def client_no_raise():
    # Django's test client re-raises a view's exception; a server answers it instead.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/api/", "/api/v2/", "/api/v1/nothing-here", "/api/schema/x"])
def test_an_unknown_url_under_the_api_is_a_json_404(client, path):
    body = assert_error_format(client.get(path, **AUTH), 404, "not_found")

    assert "/api/v1/" in body["detail"]  # points to the API root


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/"])
def test_the_debug_404_page_is_never_served_under_the_api(client, settings, path):
    settings.DEBUG = True

    response = client.get(path)

    assert_error_format(response, 404, "not_found")
    assert b"URLconf" not in response.content


def test_outside_debug_no_page_lists_the_url_patterns(client, settings):
    settings.DEBUG = False

    response = client.get("/nothing-here")

    assert response.status_code == 404
    assert b"api/v1/" not in response.content


def test_a_wrong_method_on_a_plain_view_is_a_json_405(client):
    response = client.post("/health")

    assert_error_format(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_a_bug_in_a_plain_view_is_a_json_500_without_internals(client_no_raise):
    response = client_no_raise.get("/api/v1/plain/broken")

    body = assert_error_format(response, 500, "error")
    assert "bug" not in body["detail"]


def test_a_database_outage_in_a_plain_api_view_is_503_with_retry_after(client_no_raise):
    response = client_no_raise.get("/api/v1/plain/database-down")

    assert_error_format(response, 503, "unavailable")
    assert int(response["Retry-After"]) >= 1


def test_a_database_outage_outside_the_api_is_503_too_not_a_500(client_no_raise):
    response = client_no_raise.get("/staff/database-down")

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("error", [OperationalError("database is locked"), InterfaceError("gone")])
def test_a_database_outage_in_a_drf_view_is_503_with_retry_after(client, monkeypatch, error):
    def unavailable(*args, **kwargs):
        raise error

    monkeypatch.setattr(ProductService, "list", unavailable)

    response = client.get("/api/v1/products/", **AUTH)

    body = assert_error_format(response, 503, "unavailable")
    assert int(response["Retry-After"]) >= 1
    assert "database" in body["detail"]


def test_a_database_outage_raised_by_another_middleware_is_503(rf):
    # Django turns an exception escaping a middleware (a session saved on a locked database)
    # into a 500 before any outer middleware sees the response.
    def session_middleware(request):
        raise OperationalError("database is locked")

    middleware = APIErrorMiddleware(convert_exception_to_response(session_middleware))

    response = middleware(rf.get("/admin/"))

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


def test_other_errors_from_middleware_stay_500(rf):
    def broken(request):
        raise RuntimeError("a bug")

    middleware = APIErrorMiddleware(convert_exception_to_response(broken))

    assert middleware(rf.get("/api/v1/products/")).status_code == 500


def test_json_responses_pass_through_unchanged(rf):
    original = HttpResponse(b'{"code": "x"}', status=418, content_type="application/json")
    middleware = APIErrorMiddleware(lambda request: original)

    assert middleware(rf.get("/api/v1/products/")) is original


def test_an_error_body_is_always_encodable():
    # Whatever a message or field name holds (a surrogate from a query string, a service's own
    # message), the body renders as UTF-8.
    error = ValidationFailed({"\ud800": ["bad \udfff value"]}, context_value="\udc80")

    response = exception_handler(error, {})
    content = JSONRenderer().render(response.data)

    assert response.status_code == 400
    assert json.loads(content.decode("utf-8"))["errors"] == {"\\ud800": ["bad \\udfff value"]}
