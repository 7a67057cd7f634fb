"""Every API endpoint needs a person (session, DRF token) or a service (bearer token)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINTS = [
    ("GET", "/api/v1/products/"),
    ("POST", "/api/v1/products/"),
    ("POST", "/api/v1/products/lookup"),
    ("GET", f"/api/v1/products/{uuid.UUID(int=7)}"),
    ("PATCH", f"/api/v1/products/{uuid.UUID(int=7)}"),
    ("DELETE", f"/api/v1/products/{uuid.UUID(int=7)}"),
    ("GET", f"/api/v1/categories/{uuid.UUID(int=7)}/products"),
    ("POST", "/api/v1/references/protecting"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_and_no_data(http, method, path):
    response = http(method, path, token=None, json={})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "results" not in response.json()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_unknown_bearer_token_is_401(http, method, path):
    response = http(method, path, token="not-the-token", json={})
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_malformed_bearer_header_is_401(http):
    response = http("GET", "/api/v1/products/", token=None, headers={"Authorization": "Bearer a b"})
    assert response.status_code == 401


def test_a_person_with_a_drf_token_is_let_in(http):
    from rest_framework.authtoken.models import Token  # needs the authtoken app installed

    person = User.objects.create_user("ada", password="x")
    token = Token.objects.create(user=person)
    response = http(
        "GET", "/api/v1/products/", token=None, headers={"Authorization": f"Token {token.key}"}
    )
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_person_with_a_session_is_let_in(client):
    client.force_login(User.objects.create_user("ada", password="x"))
    response = client.get("/api/v1/products/")
    assert response.status_code == 200


def test_the_service_principal_is_the_calling_service(rf, settings):
    from domain_services.integrations.rest.server.authentication import (
        ServiceTokenAuthentication,
    )
    from tests.rest.settings_extra import SERVICE_TOKEN

    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}")
    principal, _ = ServiceTokenAuthentication().authenticate(request)
    assert principal.service == "orders"
    assert principal.is_authenticated and not principal.is_staff
    assert not principal.has_perm("catalog.delete_product")


def test_tokens_can_come_from_the_environment(rf, monkeypatch):
    from domain_services.integrations.rest.server.authentication import (
        ServiceTokenAuthentication,
    )

    monkeypatch.setenv("DOMAIN_SERVICES_API_TOKENS", "billing=env-token-1234")
    request = rf.get("/", HTTP_AUTHORIZATION="Bearer env-token-1234")
    principal, _ = ServiceTokenAuthentication().authenticate(request)
    assert principal.service == "billing"


@pytest.mark.parametrize("path", ["/health", "/api/schema/", "/api/docs/"])
def test_health_and_the_api_docs_need_no_authentication(http, path):
    assert http("GET", path, token=None).status_code == 200
