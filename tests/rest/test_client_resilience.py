"""The client never hangs, retries only what is safe, forwards request ids and pools connections."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from domain_services import Unavailable
from domain_services.integrations.rest.client import RestClient, sessions
from domain_services.integrations.rest.request_id import request_id_context
from domain_services.integrations.rest.resources import ResourceClient
from tests.catalog.services import ProductDTO


def client(stub, **options):
    options = {"token": "t", "backoff": 0.01, **options}
    return RestClient("catalog", stub.url, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_slower_than_the_read_timeout_is_unavailable_in_bounded_time(stub):
    stub.respond = lambda method, path, body: (200, {}, 2.0)
    slow = client(stub, read_timeout=0.3, retries=0)
    start = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        slow.request("GET", "products/")
    assert time.monotonic() - start < 1.5
    message = str(caught.value)
    assert "catalog service at" in message
    assert f"{stub.url}/api/v1/products/" in message
    assert "0.3s" in message


def test_a_refused_connection_is_unavailable_naming_domain_and_url():
    url = f"http://127.0.0.1:{free_port()}"
    refused = RestClient("catalog", url, token="t", retries=1, backoff=0.01)
    with pytest.raises(Unavailable) as caught:
        refused.request("GET", "products/")
    assert f"catalog service at {url}/api/v1/products/ is unavailable" in str(caught.value)
    assert caught.value.context == {"domain": "catalog", "url": f"{url}/api/v1/products/"}


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_on_gateway_errors_then_succeeds(stub, status):
    answers = iter([(status, {}, 0), (status, {}, 0), (200, {"ok": True}, 0)])
    stub.respond = lambda method, path, body: next(answers)
    assert client(stub, retries=2).request("GET", "products/") == {"ok": True}
    assert stub.count("GET") == 3


def test_retries_stop_after_the_configured_number(stub):
    stub.respond = lambda method, path, body: (503, {"code": "unavailable", "detail": "x"}, 0)
    with pytest.raises(Unavailable):
        client(stub, retries=2).request("GET", "products/")
    assert stub.count("GET") == 3


def test_get_many_lookup_is_retried_as_a_read(stub):
    answers = iter([(503, {}, 0), (200, {"results": []}, 0)])
    stub.respond = lambda method, path, body: next(answers)
    products = ResourceClient(client(stub, retries=2), "products", ProductDTO)
    assert products.get_many([uuid.uuid4()]) == {}
    assert stub.count("POST") == 2


def test_a_timed_out_get_is_retried(stub):
    delays = iter([1.0, 0.0])
    stub.respond = lambda method, path, body: (200, {"ok": 1}, next(delays))
    assert client(stub, read_timeout=0.3, retries=1).request("GET", "x") == {"ok": 1}
    assert stub.count("GET") == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_writes_are_never_retried(stub, method):
    stub.respond = lambda method, path, body: (503, {"code": "unavailable", "detail": "x"}, 0)
    with pytest.raises(Unavailable):
        client(stub, retries=3).request(method, "products/", json={"name": "x"})
    assert stub.count(method) == 1


def test_create_and_update_through_the_resource_are_sent_once(stub):
    stub.respond = lambda method, path, body: (504, {}, 0)
    products = ResourceClient(client(stub, retries=3), "products", ProductDTO)
    with pytest.raises(Unavailable):
        products.create(name="x", category=uuid.uuid4())
    with pytest.raises(Unavailable):
        products.update(uuid.uuid4(), name="y")
    assert (stub.count("POST"), stub.count("PATCH")) == (1, 1)


def test_the_current_request_id_is_forwarded(stub):
    with request_id_context("abc-123"):
        client(stub).request("GET", "x")
    assert stub.calls[0]["headers"]["X-Request-ID"] == "abc-123"


def test_a_request_id_is_made_when_there_is_none(stub):
    client(stub).request("GET", "x")
    client(stub).request("GET", "x")
    ids = [call["headers"]["X-Request-ID"] for call in stub.calls]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]


def test_the_service_token_is_sent_as_a_bearer_token(stub):
    client(stub, token="s3cret").request("GET", "x")
    assert stub.calls[0]["headers"]["Authorization"] == "Bearer s3cret"


def test_uuids_and_datetimes_in_a_body_are_sent_as_strings(stub):
    key = uuid.uuid4()
    client(stub).request("POST", "x", json={"ref": key, "tags": (key,)})
    assert stub.calls[0]["body"] == {"ref": str(key), "tags": [str(key)]}


def test_one_pooled_session_serves_every_call_to_a_service(stub):
    first, second = client(stub), client(stub)
    assert first.session is second.session
    for _ in range(5):
        first.request("GET", "x")
        second.request("GET", "y")
    assert len(stub.connections) == 1  # one kept-alive connection for ten calls


def test_a_forked_child_gets_its_own_session(stub):
    parent = client(stub).session
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its session must not be the parent's
        os.write(write, b"1" if client(stub).session is not parent else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert client(stub).session is parent


def test_get_many_of_more_than_a_chunk_is_split_and_merged(stub):
    def answer(method, path, body):
        # Echo back a DTO for the first uuid of each chunk, so the merge is visible.
        first = body["uuids"][0]
        dto = {
            "uuid": first,
            "name": "n",
            "sku": "S",
            "price_cents": 1,
            "active": True,
            "category": str(uuid.uuid4()),
            "created_at": "2024-01-01T00:00:00Z",
        }
        return 200, {"results": [dto]}, 0

    stub.respond = answer
    keys = [uuid.uuid4() for _ in range(1201)]
    found = ResourceClient(client(stub), "products", ProductDTO).get_many(keys + keys[:10])
    assert [len(call["body"]["uuids"]) for call in stub.calls] == [500, 500, 201]
    assert set(found) == {keys[0], keys[500], keys[1000]}
    assert found[keys[0]].created_at.year == 2024


def test_sessions_can_be_cleared(stub):
    session = client(stub).session
    sessions.clear()
    assert client(stub).session is not session
