"""The facilities service on its own, with an in-memory users domain in place of the remote one."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from domain_services import services
from domain_services.project_settings import DEV_SERVICE_TOKEN
from org_interfaces.fakes import FakeUsers
from org_interfaces.users import OrganizationDTO

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}


@pytest.fixture
def users():
    fake = FakeUsers()
    fake.organizations.add(OrganizationDTO(uuid=uuid.uuid4(), name="Acme", slug="acme"))
    with services.overriding(users=fake):
        yield fake


def test_system_checks_pass():
    call_command("check")


def test_users_is_a_remote_domain_here():
    assert services.backend("users").config["BACKEND"] == "rest"


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


@pytest.mark.django_db
def test_a_building_is_checked_against_the_users_domain(client, users):
    org = next(iter(users.organizations.items))
    ok = client.post(
        "/api/v1/buildings/",
        {"name": "HQ", "organization": str(org)},
        content_type="application/json",
        **AUTH,
    )
    assert ok.status_code == 201
    assert users.organizations.calls == ["get"]
    refused = client.post(
        "/api/v1/buildings/",
        {"name": "HQ", "organization": str(uuid.uuid4())},
        content_type="application/json",
        **AUTH,
    )
    assert refused.status_code == 400 and "organization" in refused.json()["errors"]


@pytest.mark.django_db
def test_health_reports_an_unreachable_users_service(client, settings):
    settings.DOMAIN_SERVICES = {
        **settings.DOMAIN_SERVICES,
        "users": {**settings.DOMAIN_SERVICES["users"], "URL": "http://127.0.0.1:9"},
    }
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["users"]["status"] != "ok"
