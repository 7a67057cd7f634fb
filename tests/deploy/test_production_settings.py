"""The production environment of docs/deployment.md, applied to the four projects.

Each project runs in its own interpreter with exactly the variables the page documents (read
from its `env` blocks), as a deployment would start it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENT_DOC = REPO / "docs" / "deployment.md"
PROJECTS = {
    "users_service": ("users", "config"),
    "facilities_service": ("facilities", "config"),
    "devices_service": ("devices", "config"),
    "monolith": ("monolith", "monolith"),
}
# What any process needs to run at all; nothing that configures Django.
PASSED_THROUGH = ("PATH", "PYTHONPATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def documented_environments() -> dict[str, dict[str, str]]:
    """The `env` blocks of docs/deployment.md, by their first line: `# every service`, ..."""
    blocks: dict[str, dict[str, str]] = {}
    for block in re.findall(r"^```env\n(.*?)^```", DEPLOYMENT_DOC.read_text(), re.M | re.S):
        title, *lines = block.strip().splitlines()
        assert title.startswith("# "), block
        blocks[title[2:]] = dict(line.split("=", 1) for line in lines if line.strip())
    return blocks


def bare_env() -> dict[str, str]:
    """No configuration at all: the development defaults."""
    return {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}


def production_env(project: str, **changes: str | None) -> dict[str, str]:
    """The documented environment of `project`: every service's block, then its own."""
    blocks = documented_environments()
    env = bare_env()
    env.update(blocks["every service"])
    env.update(blocks[PROJECTS[project][0]])
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(project: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO / "projects" / project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_page_documents_every_project():
    blocks = documented_environments()

    assert {"every service", "users", "facilities", "devices", "monolith"} <= set(blocks)
    assert blocks["every service"]["DEBUG"] == "0"


@pytest.mark.parametrize("project", PROJECTS)
def test_check_deploy_is_clean_with_the_documented_environment(project):
    result = manage(
        project, "check", "--deploy", "--fail-level", "WARNING", env=production_env(project)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_without_the_https_settings_check_deploy_warns():
    # What the documented environment would give if DEBUG off did not turn them on.
    env = production_env(
        "facilities_service",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
    )

    result = manage("facilities_service", "check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, result.stderr


# Service tokens: with DEBUG off the service does not start without its own.

REFUSED = [
    ("users_service", {"SERVICE_TOKEN": None}, "SERVICE_TOKEN must be set"),
    ("users_service", {"SERVICE_TOKEN": ""}, "SERVICE_TOKEN must be set"),
    ("facilities_service", {"SERVICE_TOKEN": "dev-service-token"}, "development token"),
    ("monolith", {"SERVICE_TOKEN": "a-new-token-0123456789,dev-service-token"}, "development"),
    ("users_service", {"FACILITIES_SERVICE_TOKEN": None}, "FACILITIES_SERVICE_TOKEN must be set"),
    (
        "devices_service",
        {"USERS_SERVICE_TOKEN": "dev-service-token"},
        "USERS_SERVICE_TOKEN must be set",
    ),
]


@pytest.mark.parametrize(("project", "changes", "message"), REFUSED)
def test_a_missing_or_development_token_stops_manage_py(project, changes, message):
    result = manage(project, "check", env=production_env(project, **changes))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr


def test_gunicorn_refuses_to_serve_without_a_service_token(tmp_path):
    env = production_env("facilities_service", SERVICE_TOKEN=None, STATIC_ROOT=str(tmp_path))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=REPO / "projects" / "facilities_service",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "SERVICE_TOKEN must be set" in result.stderr, result.stderr


@pytest.mark.parametrize("project", PROJECTS)
def test_the_documented_tokens_are_what_the_service_accepts_and_sends(project):
    env = production_env(project)

    settings = project_settings(project, env)

    assert settings["DOMAIN_SERVICES_API"]["SERVICE_TOKENS"] == {"services": [env["SERVICE_TOKEN"]]}
    for domain, config in settings["DOMAIN_SERVICES"].items():
        if config["BACKEND"] == "rest":
            assert config["TOKEN"] == env[f"{domain.upper()}_SERVICE_TOKEN"]


def test_a_token_being_rotated_is_accepted_beside_the_current_one():
    env = production_env("users_service", SERVICE_TOKEN="the-new-token-0123456789,the-old-one-987")

    settings = project_settings("users_service", env)

    assert settings["DOMAIN_SERVICES_API"]["SERVICE_TOKENS"] == {
        "services": ["the-new-token-0123456789", "the-old-one-987"]
    }


# HTTPS and cookies.


def test_debug_off_turns_the_https_settings_on():
    settings = project_settings("facilities_service", production_env("facilities_service"))

    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Load balancers probe /health over plain HTTP: it is not redirected.
    assert settings["SECURE_REDIRECT_EXEMPT"] == ["^health$"]


def test_each_https_setting_can_be_turned_off_from_the_environment():
    env = production_env(
        "facilities_service",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="off",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="no",
        SECURE_PROXY_SSL_HEADER="X-Scheme=HTTPS",
        CSRF_TRUSTED_ORIGINS="https://admin.example.com, https://ops.example.com",
    )

    settings = project_settings("facilities_service", env)

    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_SCHEME", "HTTPS"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [
        "https://admin.example.com",
        "https://ops.example.com",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURE_HSTS_SECONDS", "a year"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("SECURE_SSL_REDIRECT", "sometimes"),
        ("SECURE_PROXY_SSL_HEADER", "X Forwarded Proto"),
    ],
)
def test_a_malformed_https_variable_is_refused_naming_it(name, value):
    result = manage("users_service", "check", env=production_env("users_service", **{name: value}))

    assert result.returncode != 0
    assert f"{name}=" in result.stderr, result.stderr


def test_debug_on_keeps_plain_http_for_development():
    settings = project_settings("users_service", bare_env())

    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["DOMAIN_SERVICES_API"]["SERVICE_TOKENS"] == {"services": ["dev-service-token"]}


def test_every_service_has_its_own_session_and_csrf_cookie_names():
    names = {}
    for project in PROJECTS:
        settings = project_settings(project, bare_env())
        names[project] = (settings["SESSION_COOKIE_NAME"], settings["CSRF_COOKIE_NAME"])

    assert names["users_service"] == ("users_sessionid", "users_csrftoken")
    assert names["monolith"] == ("monolith_sessionid", "monolith_csrftoken")
    cookies = [cookie for pair in names.values() for cookie in pair]
    assert len(set(cookies)) == len(cookies) == 8, names


SHOWN = [
    "DOMAIN_SERVICES",
    "DOMAIN_SERVICES_API",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
]


def project_settings(project: str, env: dict[str, str]) -> dict:
    """Some of `project`'s settings as its own interpreter builds them from `env`."""
    module = f"{PROJECTS[project][1]}.settings"
    code = (
        "import json, os, django\n"
        f"os.environ['DJANGO_SETTINGS_MODULE'] = {module!r}\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO / "projects" / project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
