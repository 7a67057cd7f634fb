"""`get_many` of 100 products over REST vs in-process, and vs a bare HTTP call of the same endpoint.

A real catalog API runs in a child process (Django's threaded WSGI server on a free port) on a
throwaway PostgreSQL database. Two ratios:

- `rest.get_many_vs_local`: `ResourceClient.get_many` over HTTP vs `ProductService.get_many` in
  this process. HTTP, JSON and a second process cost what they cost; the ratio is information
  (what moving a domain out of the process costs per batch), so its target is `info`.
- `rest.client_overhead`: the same call vs a bare `requests` POST of the same endpoint with a
  plain Session and `.json()` (no retries, no error mapping, no DTOs): the client's own cost.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.report import interleaved, report  # noqa: E402
from domain_services.integrations.rest.client import RestClient  # noqa: E402
from domain_services.integrations.rest.resources import ResourceClient  # noqa: E402
from tests.catalog.models import Category, Product  # noqa: E402
from tests.catalog.services import ProductDTO, ProductService  # noqa: E402
from tests.rest.settings_extra import SERVICE_TOKEN  # noqa: E402

N = 100
TEST_DB = "test_bench_rest"


def serve(port: int) -> None:
    """The child: the catalog API on 127.0.0.1:<port> until killed."""
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    run("127.0.0.1", port, get_wsgi_application(), ipv6=False, threading=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = {**os.environ, "DATABASE_URL": urlunsplit(parts._replace(path=f"/{database}"))}
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_rest", "--serve", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health?shallow=1", timeout=1).status_code == 200:
                return child, url
        except requests.ConnectionError:
            time.sleep(0.1)
    child.kill()
    raise RuntimeError(f"the benchmark server at {url} did not start")


def seed() -> list[uuid.UUID]:
    category = Category.objects.create(name="Bench")
    Product.objects.bulk_create(
        Product(name=f"P{i:04d}", sku=f"B-{i:04d}", price_cents=i, category=category)
        for i in range(1000)
    )
    return list(Product.objects.order_by("sku").values_list("uuid", flat=True))


def main() -> None:
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = TEST_DB
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    child = None
    try:
        sample = seed()[200 : 200 + N]
        child, url = start_server(connection.settings_dict["NAME"])
        local = ProductService()
        remote = ResourceClient(
            RestClient("catalog", url, token=SERVICE_TOKEN), "products", ProductDTO
        )
        assert remote.get_many(sample) == local.get_many(sample)

        bare_session = requests.Session()
        bare_url = f"{url}/api/v1/products/lookup"
        bare_headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        bare_body = {"uuids": [str(key) for key in sample]}

        def bare() -> object:
            response = bare_session.post(bare_url, json=bare_body, headers=bare_headers)
            response.raise_for_status()
            return response.json()

        assert len(bare()["results"]) == N  # type: ignore[index]

        rest_time, local_time = interleaved(
            lambda: remote.get_many(sample), lambda: local.get_many(sample), repeat=30
        )
        report(
            "rest.get_many_vs_local",
            rest_time / local_time,
            "info",
            rest=f"{rest_time * 1000:.2f}ms",
            local=f"{local_time * 1000:.2f}ms",
            n=N,
            db=connection.vendor,
        )
        client_time, bare_time = interleaved(lambda: remote.get_many(sample), bare, repeat=30)
        report(
            "rest.client_overhead",
            client_time / bare_time,
            "<=1.15",
            client=f"{client_time * 1000:.2f}ms",
            bare=f"{bare_time * 1000:.2f}ms",
            n=N,
        )
    finally:
        if child is not None:
            child.kill()
            child.wait()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
