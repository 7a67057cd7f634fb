"""`make demo` with DEBUG=0: the services run their production settings under gunicorn.

The runner makes a secret key and a service token for its data folder, prints the token, and
the services accept that token and refuse the development one; static files are collected
hashed and compressed, and served by WhiteNoise.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from domain_services.project_settings import DEV_SERVICE_TOKEN
from tests.e2e.test_demo_stack import (
    PROJECTS,
    READY_LINE,
    RUNNER,
    START_TIMEOUT,
    Stack,
    _alive,
    _database_urls,
    _drop_postgres_databases,
    _free_ports,
    _group_members,
    _start,
    _started_pids,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("demo-debug-off")
    databases = _database_urls(f"off{uuid.uuid4().hex[:8]}", tmp)
    env = {
        **os.environ,
        **{f"{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
        "DEBUG": "0",
    }
    for name in ("SECRET_KEY", "SERVICE_TOKEN"):
        env.pop(name, None)
    ports = _free_ports(3)
    command = [
        sys.executable,
        str(RUNNER),
        "--ports",
        ",".join(map(str, ports)),
        "--data-dir",
        str(tmp / "demo"),
        "--no-simulator",
    ]
    output = tmp / "run.out"
    stack = Stack(
        process=_start(command, env, output),
        output=output,
        command=command,
        env=env,
        urls={name: f"http://127.0.0.1:{port}" for name, port in zip(PROJECTS, ports, strict=True)},
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in stack.text():
            if stack.process.poll() is not None:
                pytest.fail(f"run.py exited with {stack.process.returncode}:\n{stack.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"run.py was not ready within {START_TIMEOUT:.0f}s:\n{stack.tail()}")
            time.sleep(0.2)
        stack.child_pids = _started_pids(stack.text())
        stack.group_pids = _group_members(stack.child_pids)
        yield stack
    finally:
        if stack.stop() != 0 or stack.process.returncode is None:
            stack.kill()
        _drop_postgres_databases(databases)


# One list each service serves, so a token is tried on a real endpoint.
LISTS = {"users": "organizations", "facilities": "buildings", "devices": "devices"}


def _printed_token(stack: Stack) -> str:
    found = re.search(r"API token \(Authorization: Bearer \.\.\.\): (\S+)", stack.text())
    assert found, stack.tail()
    return found.group(1)


def test_the_printed_token_is_the_data_folders_own_and_the_services_accept_it(
    production_stack: Stack,
) -> None:
    token = _printed_token(production_stack)
    data_dir = Path(production_stack.command[production_stack.command.index("--data-dir") + 1])

    assert token != DEV_SERVICE_TOKEN
    assert json.loads((data_dir / "secrets.json").read_text())["SERVICE_TOKEN"] == token
    for name, url in production_stack.urls.items():
        endpoint = f"{url}/api/v1/{LISTS[name]}/"
        own = requests.get(endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        development = requests.get(
            endpoint, headers={"Authorization": f"Bearer {DEV_SERVICE_TOKEN}"}, timeout=10
        )

        assert own.status_code == 200, (name, own.status_code, own.text[:300])
        assert development.status_code == 401, (name, development.status_code)


def test_the_services_reach_each_other_with_that_token(production_stack: Stack) -> None:
    for name, url in production_stack.urls.items():
        response = requests.get(f"{url}/health", timeout=10)

        assert response.status_code == 200, (name, response.text)
        checks = response.json()["checks"]
        assert all(check["status"] == "ok" for check in checks.values()), (name, checks)


def test_hashed_static_files_are_served_by_whitenoise_with_long_caching(
    production_stack: Stack,
) -> None:
    for name, url in production_stack.urls.items():
        login = requests.get(f"{url}/admin/login/", timeout=10)
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login.text)
        assert css, (name, login.text[:800])

        response = requests.get(f"{url}{css.group(1)}", timeout=10)

        assert response.status_code == 200, (name, css.group(1))
        assert response.headers["Server"].startswith("gunicorn")
        assert "immutable" in response.headers["Cache-Control"], response.headers
        assert "max-age=315360000" in response.headers["Cache-Control"], response.headers


def test_sigterm_stops_the_production_stack(production_stack: Stack) -> None:
    assert production_stack.stop() == 0, production_stack.tail()
    alive = [pid for pid in production_stack.group_pids if _alive(pid)]

    assert not alive, alive
