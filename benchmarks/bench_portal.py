"""The portal's device list (50 devices with their room, floor, building, organization and live
status) in services mode over REST vs in legacy mode on one database.

Three servers (gunicorn, each its own process) on the same data, the portal test suite's data
set (tests/dataset.py of projects/portal), on throwaway databases:

- the legacy portal: `PORTAL_MODELS=legacy`, its own PostgreSQL database; the view's
  `select_related("room__floor__building", "organization")` makes the page one query, plus the
  paginator's count and the organizations of the filter;
- the domains: the users, facilities and devices apps with their APIs (the portal's test
  settings), their own database and the devices' status store (nx-27017 unless MONGODB_URL);
- the services portal: `PORTAL_MODELS=services`, the same views, forms and templates on
  service-backed models, calling the domains server over HTTP (`calls` counts them in its
  access log).

This process times `GET /devices/` of each portal, alternately (`interleaved`), after checking
that both answer the same page. `portal.device_list` is the time ratio, services over legacy:
the cost of the split, shown; its target is `info`.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from benchmarks.report import interleaved, report

REPO = Path(__file__).resolve().parent.parent
PORTAL = REPO / "projects" / "portal"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TOKEN = f"bench-{secrets.token_urlsafe(24)}"  # the parent's; each child gets it by env
ROUNDS = 15
ROWS = 50
START_TIMEOUT = 120.0
SERVE = [sys.executable, "-m", "benchmarks.bench_portal", "--serve"]
LOGS: dict[int, list[Path]] = {}  # each server's output, removed once it stopped
ACCESS_LOG = Path(tempfile.gettempdir()) / f"bench_portal_domains_{os.getpid()}.access.log"


def database(name: str) -> str:
    return urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{name}"))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the servers (children) -------------------------------------------------------------------


def serve(role: str, port: int, seen: datetime) -> None:
    """A child: one of the three servers, on a throwaway copy of its database, until SIGTERM.

    Served by gunicorn as in production (docs/deployment.md): one worker of four threads.
    Django's development server would not do: it leaves Nagle's algorithm on, and a keep-alive
    client then waits for a delayed ACK on most answers (about 40 ms each).
    """
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import connection, connections
    from gunicorn.app.base import BaseApplication

    django.setup()
    name = connection.settings_dict["NAME"]
    mongo = None
    if role != "services-portal":
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if role == "legacy-portal":
            from tests.dataset import seed_legacy

            seed_legacy(seen)
        elif role == "domains":
            mongo = seed_domains(settings, seen)
        connections.close_all()  # the worker is forked: it opens its own

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                options = {"bind": f"127.0.0.1:{port}", "workers": 1, "threads": 4}
                if os.environ.get("BENCH_ACCESS_LOG"):
                    options["accesslog"] = os.environ["BENCH_ACCESS_LOG"]
                for key, value in {**options, "worker_class": "gthread"}.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return get_wsgi_application()

        Server().run()
    finally:
        if mongo is not None:
            mongo.close()
        if role != "services-portal":
            connections.close_all()
            connection.creation.destroy_test_db(name, verbosity=0)


def seed_domains(settings: Any, seen: datetime) -> Any:
    """The data set in the domains' tables and status store; the wire server started, if any."""
    from devices import live
    from domain_services.devices.status_store import DeviceMongoDBService
    from domain_services.integrations.mongodb.client import reset_client
    from domain_services.testing.mongodb import MongoWireServer
    from tests.dataset import seed_domains as seed

    server = None
    url = os.environ.get("MONGODB_URL")
    if not url:
        server = MongoWireServer()
        server.start()
        url = server.url
    settings.MONGODB = {"URL": url, "DATABASE": f"bench_portal_{secrets.token_hex(4)}"}
    live.status_store.cache_clear()
    reset_client()
    seed(seen, lambda **options: DeviceMongoDBService(**options))
    return server


def start(role: str, seen: datetime, **environ: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        # Production settings over plain HTTP, as a deployment would time them.
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(PORTAL), str(REPO)]),
        **environ,
    }
    log = Path(tempfile.gettempdir()) / f"bench_portal_{role}_{port}.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [*SERVE, role, str(port), seen.isoformat()],
            cwd=PORTAL,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=output,
        )
    LOGS[child.pid] = [log]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the {role} server exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return child, url
        except requests.ConnectionError:
            time.sleep(0.2)
    child.kill()
    raise RuntimeError(f"the {role} server at {url} did not start")


def stop(child: subprocess.Popen[bytes]) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    for log in LOGS.pop(child.pid, ()):
        log.unlink(missing_ok=True)


def api_calls() -> int:
    """The API requests the domains server has answered (lines of its access log)."""
    time.sleep(0.2)  # gunicorn writes the line after the answer
    return sum(" /api/" in line for line in ACCESS_LOG.read_text().splitlines())


def page(session: requests.Session, url: str) -> str:
    response = session.get(f"{url}/devices/", timeout=30)
    response.raise_for_status()
    return re.sub(r"\s+", " ", response.text)


def main() -> None:
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    children: list[subprocess.Popen[bytes]] = []
    try:
        legacy, legacy_url = start(
            "legacy-portal",
            seen,
            PORTAL_MODELS="legacy",
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database("bench_portal_legacy"),
        )
        children.append(legacy)
        domains, domains_url = start(
            "domains",
            seen,
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=database("bench_portal_domains"),
            DOMAIN_SERVICES_API_TOKENS=f"portal={TOKEN}",
            BENCH_ACCESS_LOG=str(ACCESS_LOG),
        )
        children.append(domains)
        remote = {
            f"{name}_SERVICE_{key}": value
            for name in ("USERS", "FACILITIES", "DEVICES")
            for key, value in (("URL", domains_url), ("TOKEN", TOKEN))
        }
        portal, portal_url = start(
            "services-portal",
            seen,
            PORTAL_MODELS="services",
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=database("bench_portal_unused"),
            **remote,
        )
        children.append(portal)

        session = requests.Session()
        before = api_calls()
        services_page, legacy_page = page(session, portal_url), page(session, legacy_url)
        calls = api_calls() - before
        assert services_page == legacy_page, "both portals must answer the same page"
        assert services_page.count('<td><a href="/devices/') == ROWS

        services_time, legacy_time = interleaved(
            lambda: page(session, portal_url), lambda: page(session, legacy_url), repeat=ROUNDS
        )
        report(
            "portal.device_list",
            services_time / legacy_time,
            "info",
            services=f"{services_time * 1000:.1f}ms",
            legacy=f"{legacy_time * 1000:.1f}ms",
            rows=ROWS,
            calls=calls,
            db="postgresql" if DATABASE_URL.startswith("postgres") else "sqlite",
        )
    finally:
        for child in reversed(children):
            stop(child)
        ACCESS_LOG.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]), datetime.fromisoformat(sys.argv[4]))
    else:
        main()
