"""Fixtures for the REST tests: a live catalog API, clients of it, and a scriptable stub server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from domain_services.integrations.rest.client import RestClient, sessions
from domain_services.integrations.rest.resources import ResourceClient
from tests.catalog.services import CategoryDTO, ProductDTO
from tests.rest.settings_extra import SERVICE_TOKEN


@pytest.fixture
def rest(live_server, transactional_db) -> RestClient:
    """A client of the live catalog API, authenticated as the `orders` service."""
    return RestClient("catalog", live_server.url, token=SERVICE_TOKEN, read_timeout=5, retries=0)


@pytest.fixture
def remote_products(rest) -> ResourceClient[ProductDTO]:
    return ResourceClient(rest, "products", ProductDTO)


@pytest.fixture
def remote_categories(rest) -> ResourceClient[CategoryDTO]:
    return ResourceClient(rest, "categories", CategoryDTO)


@pytest.fixture
def http(live_server, transactional_db) -> Callable[..., requests.Response]:
    """Raw HTTP to the live API: `http("POST", "/api/v1/products/", json=..., token=...)`."""

    def call(method: str, path: str, *, token: str | None = SERVICE_TOKEN, **kwargs: Any):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method, live_server.url + path, headers=headers, timeout=10, **kwargs
        )

    return call


@dataclass
class Stub:
    """A tiny HTTP server: `respond(method, path, body) -> (status, json, delay)`; records calls."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    connections: set[tuple[str, int]] = field(default_factory=set)
    respond: Callable[[str, str, Any], tuple[int, Any, float]] = lambda m, p, b: (200, {}, 0.0)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call["method"] == method)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.connections.add(self.client_address)
            state.calls.append(
                {"method": self.command, "path": self.path, "body": body, "headers": self.headers}
            )
            status, payload, delay = state.respond(self.command, self.path, body)
            if delay:
                time.sleep(delay)
            if isinstance(payload, bytes):
                data = payload
            else:
                data = b"" if payload is None else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout tests)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    sessions.clear()
