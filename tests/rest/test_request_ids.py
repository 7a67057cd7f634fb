"""X-Request-ID: adopted or made by the middleware, echoed, logged, and forwarded onwards."""

from __future__ import annotations

import logging

import pytest

from domain_services.integrations.rest.request_id import (
    RequestIDFilter,
    clean_request_id,
    current_request_id,
    request_id_context,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_well_formed_incoming_id_is_echoed(http):
    response = http("GET", "/health", token=None, headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"


@pytest.mark.parametrize("bad", ["x" * 200, "has space", "semi;colon", "<script>", ""])
def test_a_malformed_incoming_id_is_replaced(http, bad):
    response = http("GET", "/health", token=None, headers={"X-Request-ID": bad})
    echoed = response.headers["X-Request-ID"]
    assert echoed != bad and len(echoed) == 32


def test_the_server_logs_each_request_with_its_id(http, caplog):
    caplog.set_level(logging.INFO, logger="domain_services.rest.server")
    http("GET", "/api/v1/products/", headers={"X-Request-ID": "trace-me"})
    record = next(r for r in caplog.records if "/api/v1/products/" in r.getMessage())
    assert record.request_id == "trace-me"
    assert "200" in record.getMessage()


def test_the_client_logs_each_call_with_its_id(remote_products, caplog):
    caplog.set_level(logging.DEBUG, logger="domain_services.rest.client")
    with request_id_context("client-side"):
        remote_products.list()
    record = next(r for r in caplog.records if r.name == "domain_services.rest.client")
    assert record.request_id == "client-side"
    assert "GET" in record.getMessage() and "200" in record.getMessage()


def test_an_id_forwarded_by_a_service_reaches_the_next_one(remote_products, caplog):
    caplog.set_level(logging.INFO, logger="domain_services.rest.server")
    with request_id_context("end-to-end"):
        remote_products.list()
    server = [r for r in caplog.records if r.name == "domain_services.rest.server"]
    assert [r.request_id for r in server] == ["end-to-end"]


def test_the_log_filter_adds_the_current_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    with request_id_context("abc"):
        RequestIDFilter().filter(record)
    assert record.request_id == "abc"
    assert current_request_id() is None


def test_clean_request_id_limits_length_and_characters():
    assert clean_request_id("a1-b2_c3.d4") == "a1-b2_c3.d4"
    assert clean_request_id("a" * 129) is None
    assert clean_request_id("a\x00") is None
