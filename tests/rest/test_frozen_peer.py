"""A peer service frozen with SIGSTOP: answered within the deadline, then not waited for at all.

The peer is a real HTTP server in its own process (`peer_server.py`). A frozen process keeps
its listening socket, so the kernel still accepts connections and the client's request is
sent: only the answer never comes, which is what a hung or stopped service looks like.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIRequestFactory

from domain_services import Unavailable, services
from domain_services.integrations.rest.backend import RestBackend
from domain_services.integrations.rest.client import sessions
from domain_services.integrations.rest.resilience import breakers
from tests.rest.api import ProductViewSet
from tests.rest.settings_extra import SERVICE_TOKEN
from tests.rest.timing import MARGIN, elapsed


@dataclass
class Peer:
    process: subprocess.Popen[str]
    url: str

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        wait_for(lambda: self.state() == "T")

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        wait_for(lambda: self.state() != "T")

    def state(self) -> str:
        # /proc/<pid>/stat: "pid (name) S ...": the letter after the name is the state.
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0]


@pytest.fixture
def peer() -> Iterator[Peer]:
    script = Path(__file__).with_name("peer_server.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline())
    yield Peer(process, f"http://127.0.0.1:{port}")
    process.kill()  # SIGKILL ends a stopped process too
    process.wait()
    sessions.clear()
    breakers.clear()


@pytest.fixture
def catalog_at(settings) -> Callable[..., RestBackend]:
    """Serve the `catalog` domain from `url` with the `rest` backend and these OPTIONS."""

    def configure(url: str, **options: Any) -> RestBackend:
        config: dict[str, Any] = {
            "BACKEND": "rest",
            "URL": url,
            "TOKEN": "t",
            "INTERFACE": "tests.catalog.interface.Catalog",
        }
        if options:
            config["OPTIONS"] = options
        settings.DOMAIN_SERVICES = {"catalog": config}
        backend = services.backend("catalog")
        assert isinstance(backend, RestBackend)
        return backend

    return configure


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the state was not reached in time"
        time.sleep(0.01)


class RemoteProductViewSet(ProductViewSet):
    """A view of a project whose products come from another service (the frozen peer)."""

    resource = staticmethod(lambda: services.catalog.products)


def test_a_frozen_peer_is_a_503_naming_the_domain_within_the_default_deadline(peer, catalog_at):
    catalog_at(peer.url)  # no OPTIONS: the defaults
    view = RemoteProductViewSet.as_view(RemoteProductViewSet.actions()["item"])
    key = uuid.uuid4()
    request = APIRequestFactory().get(
        f"/api/v1/products/{key}", HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}"
    )
    peer.freeze()
    took, response = elapsed(lambda: view(request, uuid=str(key)))
    assert response.status_code == 503
    assert response.data["code"] == "unavailable"
    assert (
        f"catalog service at {peer.url}/api/v1/products/{key} is unavailable"
        in (response.data["detail"])
    )
    assert took < 5 + MARGIN  # the default deadline; it was three read timeouts, 30 s


def test_a_frozen_peer_is_unavailable_within_the_configured_deadline_across_retries(
    peer, catalog_at
):
    backend = catalog_at(peer.url, DEADLINE=1, READ_TIMEOUT=0.4, RETRIES=5)
    client = backend.rest_client()
    assert client.request("GET", "products/") == {"method": "GET", "path": "/api/v1/products/"}
    peer.freeze()
    took, error = elapsed(lambda: client.request("GET", "products/"))
    assert isinstance(error, Unavailable)
    assert error.context["domain"] == "catalog"
    assert "catalog service at" in str(error) and "1s deadline is spent" in str(error)
    assert 0.9 <= took < 1 + MARGIN


def test_once_the_circuit_opens_a_frozen_peer_costs_milliseconds(peer, catalog_at):
    backend = catalog_at(peer.url, DEADLINE=0.5, CIRCUIT_FAILURES=2, CIRCUIT_COOLDOWN=60)
    client = backend.rest_client()
    peer.freeze()
    for _ in range(2):
        took, error = elapsed(lambda: client.request("GET", "products/"))
        assert isinstance(error, Unavailable) and took >= 0.5
    took, error = elapsed(lambda: services.catalog.products.get(uuid.uuid4()))
    assert isinstance(error, Unavailable)
    assert took < 0.5  # no network, no waiting: the deadline would make it 0.5 s or more
    assert "catalog service at" in str(error) and "circuit is open" in str(error)


def test_after_the_cool_down_a_resumed_peer_is_called_again(peer, catalog_at):
    backend = catalog_at(peer.url, DEADLINE=0.5, CIRCUIT_FAILURES=1, CIRCUIT_COOLDOWN=1)
    client = backend.rest_client()
    peer.freeze()
    with pytest.raises(Unavailable, match="deadline is spent"):
        client.request("GET", "products/")
    peer.resume()
    with pytest.raises(Unavailable, match="circuit is open"):  # still cooling down
        client.request("GET", "products/")
    wait_for(lambda: client.breaker.state == "half-open")
    assert client.request("GET", "products/") == {"method": "GET", "path": "/api/v1/products/"}
    assert client.breaker.state == "closed"
    assert client.request("GET", "rooms/") == {"method": "GET", "path": "/api/v1/rooms/"}


def test_health_still_probes_a_peer_whose_circuit_is_open(peer, catalog_at):
    backend = catalog_at(peer.url, DEADLINE=0.5, CIRCUIT_FAILURES=1, CIRCUIT_COOLDOWN=60)
    client = backend.rest_client()
    peer.freeze()
    with pytest.raises(Unavailable):
        client.request("GET", "products/")
    assert backend.ping(timeout=0.5)["status"] == "error"  # frozen: the probe went out
    peer.resume()
    assert backend.ping() == {
        "status": "ok",
        "url": peer.url,
        "latency_ms": pytest.approx(0, abs=1000),
        "circuit": "open",
    }
    with pytest.raises(Unavailable, match="circuit is open"):
        client.request("GET", "products/")
