"""The portal as a project: settings in both modes, migrations, a domain that is down."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from domain_services import services
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from domain_services.testing.network import free_port
from org_interfaces.users import Users

PROJECT = Path(__file__).resolve().parent.parent


def settings_of(**environ: str) -> subprocess.CompletedProcess[str]:
    """Load config.settings (what manage.py and gunicorn load) in a process of its own."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environ}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_system_checks_pass():
    call_command("check")


@pytest.mark.parametrize("mode", ["legacy", "services"])
def test_the_real_settings_load_in_both_modes(mode):
    result = settings_of(PORTAL_MODELS=mode)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_an_unknown_mode_is_refused_by_name():
    result = settings_of(PORTAL_MODELS="cloud")

    assert result.returncode != 0
    assert "PORTAL_MODELS='cloud'" in result.stderr


@pytest.mark.django_db
def test_migrations_match_the_legacy_models():
    call_command("makemigrations", "portal_legacy", "--check", "--dry-run", stdout=io.StringIO())


def test_a_domain_that_is_down_is_a_503_page(client):
    nowhere = RestClient("users", f"http://127.0.0.1:{free_port()}", token="t", retries=0)
    with services.overriding(users=client_for(Users, nowhere)):
        response = client.get("/organizations/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Temporarily unavailable" in response.content.decode()
