"""A database that is busy, locked or down is a wait or a 503 with `Retry-After`, never a 500.

Each test serves the users project in its own process (Django's threaded WSGI server, so the
requests of concurrent clients run in parallel threads, each with its own connection):

- on a SQLite file, the embedded default: concurrent writers all succeed (WAL, a busy timeout,
  IMMEDIATE transactions); a lock held past the busy timeout is a 503, and the next request
  after it is released succeeds;
- on a PostgreSQL URL nobody answers: the API and the admin answer 503 with `Retry-After`.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from domain_services.project_settings import (
    DEV_SERVICE_TOKEN,
    database_settings,
    per_domain_databases,
)
from domain_services.testing.network import free_port

REPO = Path(__file__).resolve().parents[2]
USERS = REPO / "projects" / "users_service"
AUTH = {"Authorization": f"Bearer {DEV_SERVICE_TOKEN}"}
WRITERS = 8
ROUNDS = 5
# Serve the project with Django's own threaded server, without runserver's migration check
# (which would need the database this module takes away).
SERVE = (
    "import sys; from django.core.servers.basehttp import run; "
    "from config.wsgi import application; "
    "run('127.0.0.1', int(sys.argv[1]), application, threading=True)"
)


def project_env(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("DATABASE_URL") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(DATABASE_URL=database_url, DEBUG="1", PYTHONPATH=str(REPO))
    return env


@pytest.fixture
def serve_users() -> Iterator[Callable[[str], str]]:
    """Start the users project on `database_url`; its base URL once it answers."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(database_url: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            cwd=USERS,
            env=project_env(database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the users service exited:\n{process.stderr.read().decode()[-3000:]}")
            try:
                requests.get(f"{url}/", timeout=1)
                return url
            except requests.ConnectionError:
                time.sleep(0.1)
        pytest.fail("the users service did not answer within 30 s")

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=USERS,
        env=project_env(database_url),
        check=True,
        timeout=120,
    )


def create_organization(url: str, name: str) -> requests.Response:
    return requests.post(
        f"{url}/api/v1/organizations/",
        json={"name": name, "slug": name},
        headers=AUTH,
        timeout=30,
    )


def sign_in_to_the_admin(url: str) -> requests.Response:
    """The admin is no DRF view: signing in meets the database in Django's own code."""
    session = requests.Session()
    page = session.get(f"{url}/admin/login/", timeout=30)  # needs no database
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text[:300]
    return session.post(
        f"{url}/admin/login/",
        data={"username": "staff", "password": "x", "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{url}/admin/login/"},
        timeout=30,
    )


def test_the_embedded_default_is_set_up_for_concurrent_writers(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)

    options = database_settings(tmp_path, "users")["OPTIONS"]
    monolith = per_domain_databases(tmp_path, ["devices"])

    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert monolith["devices"]["OPTIONS"] == options
    assert monolith["devices"]["OPTIONS"] is not monolith["default"]["OPTIONS"]
    # An option given in the URL wins over the default.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}?timeout=1")
    assert database_settings(tmp_path, "x")["OPTIONS"]["timeout"] == 1


def test_concurrent_writers_on_sqlite_all_succeed(tmp_path, serve_users):
    database_url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    migrate(database_url)
    url = serve_users(database_url)
    names = [f"writer-{writer}-{n}" for n in range(ROUNDS) for writer in range(WRITERS)]

    with ThreadPoolExecutor(WRITERS) as pool:
        responses = list(pool.map(lambda name: create_organization(url, name), names))

    failures = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    assert not failures, f"{len(failures)} of {len(names)} writes failed: {failures[:3]}"
    listed = requests.get(f"{url}/api/v1/organizations/?page_size=500", headers=AUTH, timeout=10)
    assert {row["slug"] for row in listed.json()["results"]} >= set(names)


def test_sqlite_locked_past_its_busy_timeout_is_503_then_recovers(tmp_path, serve_users):
    path = tmp_path / "users.sqlite3"
    migrate(f"sqlite:///{path}")
    url = serve_users(f"sqlite:///{path}?timeout=1")  # a one-second busy timeout
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock...
    try:
        locked = create_organization(url, "while-locked")
    finally:
        holder.execute("ROLLBACK")  # ...and lets it go
        holder.close()

    assert locked.status_code == 503, locked.text
    assert locked.json()["code"] == "unavailable"
    assert int(locked.headers["Retry-After"]) >= 1
    assert create_organization(url, "after-the-lock").status_code == 201


def test_an_unreachable_database_is_503_with_retry_after_everywhere(serve_users):
    nobody = free_port()  # nothing listens there
    url = serve_users(f"postgres://postgres@127.0.0.1:{nobody}/users_{uuid.uuid4().hex[:8]}")

    api = requests.get(f"{url}/api/v1/organizations/", headers=AUTH, timeout=30)
    write = create_organization(url, "nowhere")
    admin = sign_in_to_the_admin(url)

    for response in (api, write):
        assert response.status_code == 503, response.text[:300]
        assert response.json()["code"] == "unavailable"
        assert int(response.headers["Retry-After"]) >= 1
    assert admin.status_code == 503, admin.text[:300]
    assert int(admin.headers["Retry-After"]) >= 1
