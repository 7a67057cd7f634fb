"""The real multi-process stack, as `make demo` runs it, proven over HTTP between processes.

The fixture runs `integrations/demo/run.py` on free ports with its own data folder: the users,
facilities and devices services (gunicorn, static files by WhiteNoise), nx-27017 (or
`MONGODB_URL`), Mosquitto (or `MQTT_URL`), the MQTT consumer and the fleet simulator, each its
own process group. Each project has
its own database: a SQLite file in a temporary folder, or a fresh PostgreSQL database on the
`DATABASE_URL` server (created by the runner, dropped here afterwards).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from pymongo import MongoClient

from domain_services.project_settings import DEV_SERVICE_TOKEN
from domain_services.testing.network import free_port
from org_interfaces import demo_data

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "integrations" / "demo" / "run.py"
READY_LINE = "Ready. Press Ctrl-C to stop everything."
PROJECTS = ("users", "facilities", "devices")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
AUTH = {"Authorization": f"Bearer {DEV_SERVICE_TOKEN}"}


@dataclass
class Stack:
    """A running `run.py` and what it printed."""

    process: subprocess.Popen[bytes]
    output: Path
    command: list[str]
    env: dict[str, str]
    urls: dict[str, str]
    mongodb_url: str = ""
    child_pids: list[int] = field(default_factory=list)
    # Every process of the children's groups once ready: gunicorn's workers too.
    group_pids: list[int] = field(default_factory=list)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def stop(self) -> int:
        """SIGTERM the runner (as Ctrl-C would) and wait; its exit code. Idempotent."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode)

    def kill(self) -> None:
        """Last resort after a failure: kill the runner and every child it reported."""
        for pid in [self.process.pid, *self.child_pids, *_started_pids(self.text())]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self.process.wait(10)


def _database_urls(tag: str, tmp: Path) -> dict[str, str]:
    """One database per project: on the DATABASE_URL server when set, else SQLite files."""
    server = os.environ.get("DATABASE_URL")
    urls = {}
    for name in PROJECTS:
        if server:
            parts = urlsplit(server)
            urls[name] = urlunsplit(parts._replace(path=f"/e2e_{tag}_{name}"))
        else:
            urls[name] = f"sqlite:///{tmp / f'{name}.sqlite3'}"
    return urls


def _drop_postgres_databases(urls: dict[str, str]) -> None:
    server = os.environ.get("DATABASE_URL")
    if not server:
        return
    import psycopg
    from psycopg import sql

    maintenance = urlunsplit(urlsplit(server)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        for url in urls.values():
            name = urlsplit(url).path.lstrip("/")
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _start(command: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("demo-stack")
    tag = uuid.uuid4().hex[:8]
    databases = _database_urls(tag, tmp)
    env = dict(os.environ)
    for name, url in databases.items():
        env[f"{name.upper()}_DATABASE_URL"] = url
    mongodb_url = ""
    if os.environ.get("MONGODB_URL"):
        # A real MongoDB: a database of this run's own, dropped afterwards.
        parts = urlsplit(os.environ["MONGODB_URL"])
        mongodb_url = urlunsplit(parts._replace(path=f"/e2e_{tag}"))
        env["MONGODB_URL"] = mongodb_url
    ports = _free_ports(3)
    command = [
        sys.executable,
        str(RUNNER),
        "--ports",
        ",".join(map(str, ports)),
        "--data-dir",
        str(tmp / "demo"),
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
        text = stack.text()
        stack.child_pids = _started_pids(text)
        stack.group_pids = _group_members(stack.child_pids)
        printed = re.search(r"MongoDB\s+(mongodb://\S+)", text)
        stack.mongodb_url = mongodb_url or (printed.group(1) if printed else "")
        yield stack
    finally:
        if stack.stop() != 0 or stack.process.returncode is None:
            stack.kill()
        if mongodb_url:
            with MongoClient(mongodb_url, serverSelectionTimeoutMS=5000) as client:
                client.drop_database(urlsplit(mongodb_url).path.strip("/"))
        _drop_postgres_databases(databases)


def _get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def test_every_service_is_healthy_and_reaches_its_remote_domains(stack: Stack) -> None:
    # Users and facilities also reach the domains that refer to them (asked before deletions).
    remote = {
        "users": ["facilities", "devices"],
        "facilities": ["users", "devices"],
        "devices": ["facilities", "users"],
    }
    for name, url in stack.urls.items():
        response = _get(f"{url}/health")

        assert response.status_code == 200, (name, response.text)
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"]["status"] == "ok"
        for domain in remote[name]:
            assert body["checks"][domain]["status"] == "ok", (name, domain, body)


def test_anonymous_api_requests_are_refused(stack: Stack) -> None:
    response = _get(f"{stack.urls['devices']}/api/v1/devices/")

    assert response.status_code in (401, 403), response.text


def test_devices_of_a_building_are_the_seeded_ones(stack: Stack) -> None:
    building = demo_data.demo_uuid("building", "acme", 1)
    floors = {row.uuid for row in demo_data.floors() if row.fields["building"] == building}
    rooms = {row.uuid for row in demo_data.rooms() if row.fields["floor"] in floors}
    expected = {row.fields["eui"] for row in demo_data.devices() if row.fields["room"] in rooms}

    # The devices service asks the facilities service for the building's rooms over REST.
    response = _get(f"{stack.urls['devices']}/api/v1/buildings/{building}/devices", headers=AUTH)

    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"] if isinstance(body, dict) else body
    assert expected
    assert {device["eui"] for device in results} == expected


def test_a_device_in_another_organizations_room_is_refused_naming_room(stack: Stack) -> None:
    acme = demo_data.demo_uuid("org", "acme")
    globex_room = demo_data.demo_uuid("room", "globex", 1, 0, 1)
    url = f"{stack.urls['devices']}/api/v1/devices/"

    response = requests.post(
        url,
        json={
            "eui": "70B3D57ED0FF0001",
            "name": "Misplaced sensor",
            "kind": "sensor",
            "firmware": "1.0.0",
            "room": str(globex_room),
            "organization": str(acme),
        },
        headers=AUTH,
        timeout=10,
    )

    assert response.status_code == 400, response.text
    assert "room" in response.json()["errors"], response.text
    listed = _get(url, headers=AUTH).json()
    assert listed["count"] == len(demo_data.device_euis())


def test_a_room_or_organization_that_devices_refer_to_is_not_deleted(stack: Stack) -> None:
    room = next(demo_data.devices()).fields["room"]
    facilities, users = stack.urls["facilities"], stack.urls["users"]

    # Facilities asks the devices service over REST before it deletes the room.
    response = requests.delete(f"{facilities}/api/v1/rooms/{room}", headers=AUTH, timeout=10)
    assert response.status_code == 409, response.text
    assert "devices.Device.room" in response.json()["detail"]
    assert _get(f"{facilities}/api/v1/rooms/{room}", headers=AUTH).status_code == 200

    # Users asks both facilities (buildings) and devices before it deletes an organization.
    org = _post(f"{users}/api/v1/organizations/", {"name": "Initech", "slug": "initech"})
    building = _post(
        f"{facilities}/api/v1/buildings/", {"name": "Initech HQ", "organization": org["uuid"]}
    )
    floor = _post(f"{facilities}/api/v1/floors/", {"building": building["uuid"], "level": 1})
    new_room = _post(f"{facilities}/api/v1/rooms/", {"floor": floor["uuid"], "name": "101"})
    _post(
        f"{stack.urls['devices']}/api/v1/devices/",
        {
            "eui": "70B3D57ED00FFFF1",
            "name": "Initech meter",
            "room": new_room["uuid"],
            "organization": org["uuid"],
        },
    )
    response = requests.delete(
        f"{users}/api/v1/organizations/{org['uuid']}", headers=AUTH, timeout=10
    )
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "facilities.Building.organization" in detail
    assert "devices.Device.organization" in detail

    # Deleting the building would cascade to its floor and room: the device in the room
    # refuses it, asked in one call to the devices service, and nothing is deleted.
    for parent in (f"buildings/{building['uuid']}", f"floors/{floor['uuid']}"):
        response = requests.delete(f"{facilities}/api/v1/{parent}", headers=AUTH, timeout=10)
        assert response.status_code == 409, response.text
        assert response.json()["context"]["references"] == [
            {
                "target": "facilities.Room",
                "uuid": new_room["uuid"],
                "referrer": "devices.Device.room",
                "count": 1,
            }
        ]
    assert _get(f"{facilities}/api/v1/rooms/{new_room['uuid']}", headers=AUTH).status_code == 200

    # A room no device stands in goes.
    created = requests.post(
        f"{facilities}/api/v1/rooms/",
        json={"floor": str(_floor_of(room)), "name": "Store room"},
        headers=AUTH,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    empty = created.json()["uuid"]
    response = requests.delete(f"{facilities}/api/v1/rooms/{empty}", headers=AUTH, timeout=10)
    assert response.status_code == 204, response.text
    assert _get(f"{facilities}/api/v1/rooms/{empty}", headers=AUTH).status_code == 404


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(url, json=body, headers=AUTH, timeout=10)
    assert response.status_code == 201, (url, response.text)
    return response.json()


def _floor_of(room: uuid.UUID) -> uuid.UUID:
    return next(row.fields["floor"] for row in demo_data.rooms() if row.uuid == room)


def test_the_staff_user_logs_into_every_admin(stack: Stack) -> None:
    for name, url in stack.urls.items():
        session = requests.Session()
        login = session.get(f"{url}/admin/login/", timeout=10)
        assert login.status_code == 200, (name, login.text[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token and f"{name}_csrftoken" in session.cookies, name

        response = session.post(
            f"{url}/admin/login/?next=/admin/",
            data={
                "username": demo_data.STAFF_USERNAME,
                "password": demo_data.STAFF_PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
                "next": "/admin/",
            },
            headers={"Referer": f"{url}/admin/login/"},
            timeout=10,
        )

        assert response.status_code == 200, (name, response.text[:500])
        assert urlsplit(response.url).path == "/admin/", (name, response.url)
        assert f"{name}_sessionid" in session.cookies, name
        assert "Site administration" in response.text, name


def test_the_devices_admin_lists_devices_with_their_remote_references(stack: Stack) -> None:
    url = stack.urls["devices"]
    session = requests.Session()
    login = session.get(f"{url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token, login.text[:500]
    session.post(
        f"{url}/admin/login/",
        data={
            "username": demo_data.STAFF_USERNAME,
            "password": demo_data.STAFF_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/admin/",
        },
        timeout=10,
    )

    # Room and organization names come from the other two services, one batch call each.
    response = session.get(f"{url}/admin/devices/device/", timeout=10)

    assert response.status_code == 200, response.text[:500]
    assert "Acme sensor 1" in response.text
    assert "Acme Buildings" in response.text


def _log_in(session: requests.Session, url: str) -> requests.Response:
    """Sign `session` in to the admin at `url` as the staff user; the page it lands on."""
    login = session.get(f"{url}/admin/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token, login.text[:500]
    return session.post(
        f"{url}/admin/login/?next=/admin/",
        data={
            "username": demo_data.STAFF_USERNAME,
            "password": demo_data.STAFF_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/admin/",
        },
        headers={"Referer": f"{url}/admin/login/"},
        timeout=10,
    )


def test_one_browser_stays_signed_in_to_every_admin_on_the_host(stack: Stack) -> None:
    # One cookie jar for 127.0.0.1, as a browser has: cookies ignore the port.
    session = requests.Session()
    for url in stack.urls.values():
        assert urlsplit(_log_in(session, url).url).path == "/admin/", url

    for name, url in stack.urls.items():
        response = session.get(f"{url}/admin/", timeout=10)

        assert response.status_code == 200, (name, response.status_code)
        assert urlsplit(response.url).path == "/admin/", (name, response.url)
        assert "Site administration" in response.text, name
    names = {cookie.name for cookie in session.cookies}
    assert {f"{name}_sessionid" for name in PROJECTS} <= names, names


def test_every_service_is_served_by_gunicorn(stack: Stack) -> None:
    for name, url in stack.urls.items():
        for path in ("/health", "/admin/login/", "/api/docs/"):
            response = _get(f"{url}{path}")

            assert response.status_code == 200, (name, path, response.status_code)
            assert response.headers.get("Server", "").startswith("gunicorn"), (name, path)
    assert "runserver" not in stack.text()
    assert "Starting development server" not in stack.text()


def test_the_admin_and_swagger_ui_static_files_are_served(stack: Stack) -> None:
    for name, url in stack.urls.items():
        # What the admin's login page and the API docs page link to, fetched as a browser would.
        login = _get(f"{url}/admin/login/").text
        docs = _get(f"{url}/api/docs/").text
        linked = re.findall(r'(?:href|src)="(/static/[^"]+)"', login + docs)
        assert "/static/admin/css/base.css" in linked, (name, linked)
        assert any("drf_spectacular_sidecar/swagger-ui-dist/" in path for path in linked), name

        for path in linked:
            response = _get(f"{url}{path}")

            assert response.status_code == 200, (name, path, response.status_code)
            assert response.content, (name, path)
            # By the production server itself: gunicorn serves no static files without WhiteNoise.
            assert response.headers.get("Server", "").startswith("gunicorn"), (name, path)
        css = _get(f"{url}/static/admin/css/base.css")
        assert css.headers["Content-Type"].startswith("text/css"), css.headers
        bundle = _get(f"{url}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and "javascript" in bundle.headers["Content-Type"]
        assert len(bundle.content) > 100_000  # the real bundle, not an error page


def test_simulated_statuses_reach_mongodb_through_the_consumer(stack: Stack) -> None:
    euis = set(demo_data.device_euis())
    assert stack.mongodb_url, stack.tail()
    with MongoClient(stack.mongodb_url, serverSelectionTimeoutMS=5000) as client:
        collection = client.get_default_database()["device_status"]
        deadline = time.monotonic() + 20
        stored: set[str] = set()
        while time.monotonic() < deadline:
            stored = {doc["_id"] for doc in collection.find({"_id": {"$in": sorted(euis)}})}
            if stored == euis:
                break
            time.sleep(0.5)
        document = collection.find_one({"_id": min(euis)})

    assert stored == euis, f"missing: {sorted(euis - stored)}\n{stack.tail()}"
    assert document is not None
    assert {"timestamp", "updated_at", "battery", "readings"} <= set(document)


def test_sigterm_stops_every_process_and_exits_0(stack: Stack) -> None:
    assert len(stack.child_pids) >= 6, stack.tail()  # MongoDB, broker, 3 services, consumer
    # Each gunicorn master has its workers in its group.
    assert len(stack.group_pids) >= len(stack.child_pids) + 3, stack.group_pids

    code = stack.stop()

    assert code == 0, stack.tail()
    alive = [pid for pid in stack.group_pids if _alive(pid)]
    assert not alive, f"still running: {alive}"
    for url in stack.urls.values():
        with pytest.raises(requests.ConnectionError):
            _get(f"{url}/health")


def test_a_second_run_reuses_the_databases_and_data(stack: Stack) -> None:
    stack.stop()
    command = [*stack.command, "--exit-after-ready", "--no-simulator"]
    output = stack.output.with_name("second-run.out")

    process = _start(command, stack.env, output)
    try:
        code = process.wait(START_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"the second run did not finish:\n{output.read_text(errors='replace')}")

    text = output.read_text(errors="replace")
    assert code == 0, text
    assert "everything is healthy" in text
    assert f"devices: {len(demo_data.device_euis())} devices" in text
    assert "created database" not in text


def _group_members(groups: list[int]) -> list[int]:
    """Every running process whose process group is one of `groups`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it.
            pid, rest = stat.read_text().split(" (", 1)
            if int(rest.rsplit(") ", 1)[1].split()[2]) in groups:
                members.append(int(pid))
    return sorted(members)


def _started_pids(text: str) -> list[int]:
    """The pids of the processes run.py reported starting."""
    return [int(pid) for pid in re.findall(r"started \S+ \(pid (\d+)\)", text)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not read its status yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


# -- concurrent writers ---------------------------------------------------------------------------

WRITERS = 8  # per service, as many as the demo's gunicorn serves at once (2 workers x 4 threads)
WRITE_ROUNDS = 3


@contextlib.contextmanager
def _serving(stack: Stack) -> Iterator[dict[str, str]]:
    """The stack's URLs; when an earlier test stopped it, a fresh run on the same data."""
    if stack.process.poll() is None:
        yield stack.urls
        return
    output = stack.output.with_name("writers-run.out")
    process = _start([*stack.command, "--no-simulator"], stack.env, output)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in output.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"run.py did not start again:\n{output.read_text(errors='replace')}")
            time.sleep(0.2)
        yield stack.urls
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_eight_concurrent_writers_on_each_service_get_no_5xx(stack: Stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    acme = demo_data.demo_uuid("org", "acme")
    # A room of acme's that a seeded device stands in: devices may go there.
    seeded = next(row for row in demo_data.devices() if row.fields["organization"] == acme)
    room_uuid = seeded.fields["room"]
    run = uuid.uuid4().hex[:6]

    def write(service: str, n: int) -> tuple[str, int, str]:
        url = stack.urls[service]
        if service == "users":
            path, body = "organizations/", {"name": f"Writer {run} {n}", "slug": f"w-{run}-{n}"}
        elif service == "facilities":
            path, body = "buildings/", {"name": f"Writer {run} {n}", "organization": str(acme)}
        else:
            eui = uuid.uuid4().hex[:16].upper()
            path = "devices/"
            body = {
                "eui": eui,
                "name": f"Writer {run} {n}",
                "kind": "sensor",
                "room": str(room_uuid),
                "organization": str(acme),
            }
        response = requests.post(f"{url}/api/v1/{path}", json=body, headers=AUTH, timeout=60)
        return service, response.status_code, response.text[:200]

    with _serving(stack):
        jobs = [(service, n) for n in range(WRITERS * WRITE_ROUNDS) for service in PROJECTS]
        with ThreadPoolExecutor(WRITERS * len(PROJECTS)) as pool:
            results = list(pool.map(lambda job: write(*job), jobs))

    server_errors = [result for result in results if result[1] >= 500]
    assert not server_errors, f"{len(server_errors)} of {len(results)}: {server_errors[:5]}"
    assert all(status == 201 for _, status, _ in results), [r for r in results if r[1] != 201][:5]
