"""What `make demo` gives its services: gunicorn, and its own secrets when DEBUG is off."""

from __future__ import annotations

import importlib.util
import io
import json
import stat
import sys
from pathlib import Path

import pytest

from domain_services.project_settings import DEV_SECRET, DEV_SERVICE_TOKEN

RUNNER = Path(__file__).resolve().parents[2] / "integrations" / "demo" / "run.py"


@pytest.fixture(scope="module")
def run():
    """integrations/demo/run.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("demo_run", RUNNER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_run"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules["demo_run"]


def demo(run, data_dir: Path, **environ: str):
    return run.Demo(
        projects=run.projects_on((9001, 9002, 9003)),
        data_dir=data_dir,
        simulator=False,
        environ=environ,
        out=run.Output(io.StringIO()),
    )


def test_with_debug_off_the_demo_makes_its_own_secret_key_and_token(run, tmp_path):
    env = demo(run, tmp_path, DEBUG="0").base_env()

    assert env["SECRET_KEY"] != DEV_SECRET and len(env["SECRET_KEY"]) >= 50
    assert env["SERVICE_TOKEN"] != DEV_SERVICE_TOKEN and len(env["SERVICE_TOKEN"]) >= 32
    # What every service sends is what they all accept.
    for domain in ("USERS", "FACILITIES", "DEVICES"):
        assert env[f"{domain}_SERVICE_TOKEN"] == env["SERVICE_TOKEN"]


def test_the_generated_secrets_belong_to_the_data_folder(run, tmp_path):
    first = demo(run, tmp_path / "a", DEBUG="0").base_env()
    again = demo(run, tmp_path / "a", DEBUG="0").base_env()
    other = demo(run, tmp_path / "b", DEBUG="0").base_env()

    assert (again["SECRET_KEY"], again["SERVICE_TOKEN"]) == (
        first["SECRET_KEY"],
        first["SERVICE_TOKEN"],
    )
    assert other["SECRET_KEY"] != first["SECRET_KEY"]
    assert other["SERVICE_TOKEN"] != first["SERVICE_TOKEN"]
    stored = tmp_path / "a" / "secrets.json"
    assert json.loads(stored.read_text())["SERVICE_TOKEN"] == first["SERVICE_TOKEN"]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_the_demo_prints_the_token_it_uses(run, tmp_path):
    runner = demo(run, tmp_path, DEBUG="0")
    runner.mongodb_url = runner.mqtt_url = "-"

    message = runner.ready_message()

    token = runner.base_env()["SERVICE_TOKEN"]
    assert f"API token (Authorization: Bearer ...): {token}" in message
    assert DEV_SERVICE_TOKEN not in message


def test_with_debug_off_the_demo_still_speaks_plain_http_on_loopback(run, tmp_path):
    env = demo(run, tmp_path, DEBUG="0").base_env()

    assert env["SECURE_SSL_REDIRECT"] == env["SECURE_HSTS_SECONDS"] == "0"
    assert env["SESSION_COOKIE_SECURE"] == env["CSRF_COOKIE_SECURE"] == "0"


def test_secrets_given_in_the_environment_win(run, tmp_path):
    env = demo(
        run, tmp_path, DEBUG="0", SECRET_KEY="k" * 60, SERVICE_TOKEN="new-token-1,old-token-2"
    ).base_env()

    assert env["SECRET_KEY"] == "k" * 60
    assert env["SERVICE_TOKEN"] == "new-token-1,old-token-2"  # both accepted
    assert env["USERS_SERVICE_TOKEN"] == "new-token-1"  # the new one sent


def test_with_debug_on_the_demo_keeps_its_embedded_defaults(run, tmp_path):
    env = demo(run, tmp_path).base_env()

    assert "SECRET_KEY" not in env
    assert env["USERS_SERVICE_TOKEN"] == DEV_SERVICE_TOKEN
    assert not (tmp_path / "secrets.json").exists()


def test_every_service_is_served_by_gunicorn_with_its_own_static_root(run, tmp_path):
    runner = demo(run, tmp_path)

    for project in runner.projects:
        argv = project.gunicorn_argv()
        assert argv[1:4] == ["-m", "gunicorn", "config.wsgi:application"]
        assert f"127.0.0.1:{project.port}" in argv
        assert "runserver" not in argv
        static = runner.project_env(project)["STATIC_ROOT"]
        assert static == str(tmp_path / "static" / project.name)
