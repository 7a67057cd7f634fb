"""The users service on its own: configuration, migrations, API and admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from domain_services.project_settings import DEV_SERVICE_TOKEN

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}


def test_system_checks_pass():
    call_command("check")


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


@pytest.mark.django_db
def test_organizations_and_members_over_the_api(client):
    created = client.post(
        "/api/v1/organizations/",
        {"name": "Acme", "slug": "acme"},
        content_type="application/json",
        **AUTH,
    )
    assert created.status_code == 201
    org = created.json()["uuid"]
    person = client.post(
        "/api/v1/people/",
        {"username": "ada", "full_name": "Ada", "organization": org},
        content_type="application/json",
        **AUTH,
    )
    assert person.status_code == 201
    members = client.get(f"/api/v1/organizations/{org}/members", **AUTH).json()
    assert [m["username"] for m in members["results"]] == ["ada"]


@pytest.mark.django_db
def test_health_and_admin_login_answer(client):
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert client.get("/admin/login/").status_code == 200
