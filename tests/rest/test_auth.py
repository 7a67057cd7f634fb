"""Every API endpoint needs a person (session, DRF token) or a service (bearer token)."""

from __future__ import annotations

import io
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


# Several tokens per caller: rotation without downtime.

NEW, OLD = "orders-new-token-0123456789abcdef", "orders-old-token-0123456789abcdef"


def _authenticate(rf, token):
    from domain_services.integrations.rest.server.authentication import (
        ServiceTokenAuthentication,
    )

    return ServiceTokenAuthentication().authenticate(
        rf.get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    )


def test_a_caller_may_have_a_list_of_tokens_and_each_is_accepted(rf, settings):
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": [NEW, OLD]}}

    assert _authenticate(rf, NEW)[0].service == "orders"
    assert _authenticate(rf, OLD)[0].service == "orders"


def test_a_token_dropped_from_the_list_is_refused(rf, settings):
    from rest_framework.exceptions import AuthenticationFailed

    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": [NEW]}}

    with pytest.raises(AuthenticationFailed):
        _authenticate(rf, OLD)


def test_a_name_given_twice_in_the_environment_accepts_both_tokens(rf, settings, monkeypatch):
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {}}
    monkeypatch.setenv("DOMAIN_SERVICES_API_TOKENS", f"billing={NEW},billing={OLD}")

    assert _authenticate(rf, NEW)[0].service == "billing"
    assert _authenticate(rf, OLD)[0].service == "billing"


def test_the_environment_adds_a_token_beside_the_settings_one(rf, settings, monkeypatch):
    # Step 1 of a rotation: the new token is accepted, the old one still is.
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": OLD}}
    monkeypatch.setenv("DOMAIN_SERVICES_API_TOKENS", f"orders={NEW}")

    assert _authenticate(rf, NEW)[0].service == "orders"
    assert _authenticate(rf, OLD)[0].service == "orders"


def test_a_rotation_over_http_keeps_every_call_authenticated(http, settings):
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": [OLD]}}
    assert http("GET", "/api/v1/products/", token=OLD).status_code == 200
    assert http("GET", "/api/v1/products/", token=NEW).status_code == 401

    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": [NEW, OLD]}}  # 1. accept both
    assert http("GET", "/api/v1/products/", token=OLD).status_code == 200  # callers not yet moved
    assert http("GET", "/api/v1/products/", token=NEW).status_code == 200  # 2. callers moved

    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": [NEW]}}  # 3. drop the old one
    assert http("GET", "/api/v1/products/", token=NEW).status_code == 200
    assert http("GET", "/api/v1/products/", token=OLD).status_code == 401


def test_every_accepted_token_is_compared_whichever_matches(rf, settings, monkeypatch):
    from domain_services.integrations.rest import tokens

    compared = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    settings.DOMAIN_SERVICES_API = {
        "SERVICE_TOKENS": {"orders": [NEW, OLD], "billing": "billing-token-0123456789"}
    }

    _authenticate(rf, NEW)  # the first one configured

    # No early exit: the time taken does not tell which token matched, nor how many exist.
    assert len(compared) == 3
    # Digests of equal length are compared, so the token's length does not show either.
    assert {len(digest) for digest in compared} == {32}


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ({"orders": []}, "non-empty list"),
        ({"orders": [""]}, "non-empty strings"),
        ({"orders": [7]}, "non-empty strings"),
        ({"orders": "two words"}, "spaces or control characters"),
        ("orders=token", "must map"),
    ],
)
def test_malformed_service_tokens_are_a_check_error_naming_the_setting(settings, tokens, message):
    from domain_services.integrations.rest.checks import check_service_tokens

    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": tokens}

    errors = check_service_tokens()

    assert [e.id for e in errors] == ["domain_services.E011"]
    assert "DOMAIN_SERVICES_API['SERVICE_TOKENS']" in errors[0].msg
    assert message in errors[0].msg


# The development token, outside DEBUG.


def test_accepting_the_development_token_outside_debug_fails_check_deploy(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.DEBUG = False
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"services": [NEW, "dev-service-token"]}}

    with pytest.raises(SystemCheckError) as exc:
        call_command("check", deploy=True, stderr=io.StringIO())

    assert "domain_services.E012" in str(exc.value)
    assert "DOMAIN_SERVICES_API['SERVICE_TOKENS']['services']" in str(exc.value)


def test_the_development_token_is_a_deployment_check_like_django_secret_key(settings):
    # Tests run with DEBUG off and development settings; `check --deploy` is the release gate.
    from django.core.management import call_command

    settings.DEBUG = False
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"services": "dev-service-token"}}

    call_command("check", stdout=io.StringIO())  # no SystemCheckError


def test_sending_the_development_token_outside_debug_is_a_check_error(settings, monkeypatch):
    from domain_services.integrations.rest.checks import check_development_tokens

    monkeypatch.delenv("PARTNERS_SERVICE_TOKEN", raising=False)
    settings.DEBUG = False
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "partners": {"BACKEND": "rest", "URL": "http://partners", "TOKEN": "dev-service-token"},
    }

    errors = check_development_tokens()

    assert [e.id for e in errors] == ["domain_services.E012"]
    assert "DOMAIN_SERVICES['partners']['TOKEN'] (or PARTNERS_SERVICE_TOKEN)" in errors[0].msg


def test_the_sent_token_from_the_environment_is_the_one_checked(settings, monkeypatch):
    from domain_services.integrations.rest.checks import check_development_tokens

    monkeypatch.setenv("PARTNERS_SERVICE_TOKEN", "dev-service-token")
    settings.DEBUG = False
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "partners": {"BACKEND": "rest", "URL": "http://partners", "TOKEN": NEW},
    }

    assert [e.id for e in check_development_tokens()] == ["domain_services.E012"]


def test_the_development_token_is_allowed_while_debug_is_on(settings, monkeypatch):
    from domain_services.integrations.rest.checks import check_development_tokens

    monkeypatch.delenv("PARTNERS_SERVICE_TOKEN", raising=False)
    settings.DEBUG = True
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"services": "dev-service-token"}}
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "partners": {"BACKEND": "rest", "URL": "http://partners", "TOKEN": "dev-service-token"},
    }

    assert check_development_tokens() == []


def test_secret_tokens_outside_debug_pass_the_checks(settings):
    from domain_services.integrations.rest.checks import (
        check_development_tokens,
        check_service_tokens,
    )

    settings.DEBUG = False
    settings.DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"services": [NEW, OLD]}}

    assert check_service_tokens() == check_development_tokens() == []
