"""The client never hangs, retries only what is safe, forwards request ids and pools connections.

Every call has a deadline across its attempts, and a circuit breaker per remote domain stops
calling a peer that keeps failing. (A peer frozen with SIGSTOP: `test_frozen_peer.py`.)
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services import Unavailable
from domain_services.integrations.rest.backend import RestBackend
from domain_services.integrations.rest.client import RestClient, sessions
from domain_services.integrations.rest.request_id import request_id_context
from domain_services.integrations.rest.resilience import (
    Admission,
    CircuitBreaker,
    Deadline,
    breakers,
)
from domain_services.integrations.rest.resources import ResourceClient
from tests.catalog.services import ProductDTO
from tests.rest.timing import MARGIN, elapsed


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
    assert time.monotonic() - start < 0.3 + MARGIN  # the answer comes after 2 s
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


# -- the deadline ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_breakers() -> Iterator[None]:
    yield
    breakers.clear()


def test_the_deadline_bounds_a_call_across_all_its_retries(stub):
    stub.respond = lambda method, path, body: (200, {}, 3.0)  # never answers in time
    slow = client(stub, read_timeout=0.4, retries=10, deadline=1.0)
    took, error = elapsed(lambda: slow.request("GET", "products/"))
    assert isinstance(error, Unavailable)
    assert 0.9 < took < 1.0 + MARGIN  # ten retries of 0.4 s would take over 4 s
    assert 2 <= stub.count("GET") <= 3  # 0.4 s, 0.4 s, then what is left
    assert "catalog service at" in str(error) and "1s deadline is spent" in str(error)


def test_one_attempt_waits_no_longer_than_the_deadline(stub, monkeypatch):
    stub.respond = lambda method, path, body: (200, {}, 3.0)
    slow = client(stub, read_timeout=10, retries=0, deadline=0.5)
    given = []
    send = slow.session.request

    def recording(*args, **kwargs):
        given.append(kwargs["timeout"])
        return send(*args, **kwargs)

    monkeypatch.setattr(slow.session, "request", recording)
    took, error = elapsed(lambda: slow.request("GET", "products/"))
    assert isinstance(error, Unavailable)  # waiting for the 3 s answer would have returned it
    [timeout] = given
    assert timeout.total <= 0.5 and timeout.read_timeout <= 0.5  # not the 10 s read timeout
    assert took < 0.5 + MARGIN


def test_no_retry_starts_when_its_backoff_pause_would_outlast_the_deadline(stub):
    stub.respond = lambda method, path, body: (503, {"code": "unavailable", "detail": "x"}, 0)
    patient = client(stub, retries=3, backoff=2.0, deadline=0.5)
    took, error = elapsed(lambda: patient.request("GET", "products/"))
    assert isinstance(error, Unavailable) and "answered 503" in str(error)
    assert stub.count("GET") == 1
    assert took < 2.0  # it did not sleep 2 s first


def test_retries_go_on_while_the_deadline_leaves_time_for_them(stub):
    answers = iter([(503, {}, 0), (503, {}, 0), (200, {"ok": True}, 0)])
    stub.respond = lambda method, path, body: next(answers)
    assert client(stub, retries=2, backoff=0.05, deadline=2).request("GET", "x") == {"ok": True}
    assert stub.count("GET") == 3


def test_a_deadline_knows_what_is_left_and_cuts_each_attempt_to_it():
    deadline = Deadline(0.2)
    limits = deadline.timeout(2, 10)
    assert limits is not None and limits.total is not None
    assert limits.total <= 0.2 and limits.connect_timeout <= 0.2
    assert deadline.allows_pause(0.05) and not deadline.allows_pause(0.5)
    assert Deadline(0).timeout(2, 10) is None


# -- the circuit breaker -----------------------------------------------------------------------


def breaker_client(stub, **options):
    return client(stub, retries=0, circuit_failures=3, circuit_cooldown=60, **options)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the state was not reached in time"
        time.sleep(0.01)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_after_consecutive_5xx_the_circuit_opens_and_calls_fail_without_reaching_the_peer(
    stub, status
):
    stub.respond = lambda method, path, body: (status, {"detail": "down"}, 0)
    failing = breaker_client(stub)
    for _ in range(3):
        with pytest.raises(Unavailable):
            failing.request("GET", "products/")
    took, error = elapsed(lambda: failing.request("GET", "products/"))
    assert isinstance(error, Unavailable)
    assert stub.count("GET") == 3  # the fourth call never reached the server
    assert took < MARGIN  # refused on the spot: the peer would answer 5xx
    assert f"catalog service at {stub.url}/api/v1/products/ is unavailable" in str(error)
    assert "circuit is open" in str(error)
    assert error.context["domain"] == "catalog" and error.context["retry_after"] >= 1


def test_refused_connections_open_the_circuit():
    url = f"http://127.0.0.1:{free_port()}"
    refused = RestClient("catalog", url, token="t", retries=0, circuit_failures=2)
    for _ in range(2):
        with pytest.raises(Unavailable, match="connection failed"):
            refused.request("GET", "products/")
    with pytest.raises(Unavailable, match="circuit is open"):
        refused.request("GET", "products/")


def test_every_failed_attempt_of_a_retried_call_counts(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    retried = client(stub, retries=5, backoff=0.01, circuit_failures=3, circuit_cooldown=60)
    with pytest.raises(Unavailable, match="answered 503"):
        retried.request("GET", "x")
    assert stub.count("GET") == 3  # the third failure opened the circuit: no more retries
    with pytest.raises(Unavailable, match="circuit is open"):
        retried.request("GET", "x")


@pytest.mark.parametrize("status", [400, 403, 404, 409, 429])
def test_4xx_answers_do_not_count_as_failures(stub, status):
    answers = iter([(503, {}, 0), (503, {}, 0), (status, {}, 0)] * 4 + [(200, {"ok": 1}, 0)])
    stub.respond = lambda method, path, body: next(answers)
    peer = breaker_client(stub)
    for _ in range(12):  # eight 5xx in all, but never three in a row
        with pytest.raises(Exception):  # noqa: B017 - each status maps to its own error
            peer.request("GET", "x")
    assert peer.breaker.state == "closed"
    assert peer.request("GET", "x") == {"ok": 1}
    assert stub.count("GET") == 13


def test_a_write_is_never_retried_and_its_failures_count(stub):
    stub.respond = lambda method, path, body: (503, {"code": "unavailable", "detail": "x"}, 0)
    writer = client(stub, retries=5, backoff=0.01, circuit_failures=2, circuit_cooldown=60)
    for _ in range(2):
        with pytest.raises(Unavailable, match="answered 503"):
            writer.request("POST", "products/", json={"name": "x"})
    assert stub.count("POST") == 2  # once per call, although five retries were allowed
    with pytest.raises(Unavailable, match="circuit is open"):
        writer.request("POST", "products/", json={"name": "x"})
    assert stub.count("POST") == 2


def test_a_write_that_times_out_is_sent_once(stub):
    stub.respond = lambda method, path, body: (200, {}, 2.0)
    writer = client(stub, read_timeout=0.3, retries=5, deadline=3)
    took, error = elapsed(lambda: writer.request("PATCH", "products/1", json={"name": "x"}))
    assert isinstance(error, Unavailable) and took < 0.3 + MARGIN  # retried, it would be 3 s
    assert stub.count("PATCH") == 1


def test_after_the_cool_down_one_trial_call_goes_and_its_success_closes_the_circuit(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    peer = client(stub, retries=0, circuit_failures=1, circuit_cooldown=0.3)
    with pytest.raises(Unavailable):
        peer.request("GET", "x")
    wait_for(lambda: peer.breaker.state == "half-open")
    stub.respond = lambda method, path, body: (200, {"ok": 1}, 0.5)  # a slow trial
    results: list[object] = []
    gate = threading.Barrier(6)

    def call() -> None:
        gate.wait()
        try:
            results.append(peer.request("GET", "x"))
        except Unavailable as exc:
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count({"ok": 1}) == 1  # the one trial
    refused = [r for r in results if isinstance(r, Unavailable)]
    assert len(refused) == 5 and all("circuit is open" in str(r) for r in refused)
    assert stub.count("GET") == 2  # the failure, then the trial only
    assert peer.breaker.state == "closed"
    stub.respond = lambda method, path, body: (200, {"ok": 1}, 0)
    assert peer.request("GET", "x") == {"ok": 1}


def test_a_failed_trial_opens_the_circuit_for_another_cool_down(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    peer = client(stub, retries=2, backoff=0.01, circuit_failures=1, circuit_cooldown=0.5)
    with pytest.raises(Unavailable):
        peer.request("GET", "x")
    wait_for(lambda: peer.breaker.state == "half-open")
    with pytest.raises(Unavailable, match="answered 503"):
        peer.request("GET", "x")  # the trial: not retried once it failed
    assert stub.count("GET") == 2
    assert peer.breaker.state == "open" and peer.breaker.retry_in() > 0.3
    with pytest.raises(Unavailable, match="circuit is open"):
        peer.request("GET", "x")
    assert stub.count("GET") == 2


def test_one_circuit_per_domain_is_shared_by_every_client_and_thread_of_the_process(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    failures: list[BaseException] = []

    def fail() -> None:
        try:
            breaker_client(stub).request("GET", "x")
        except Unavailable as exc:
            failures.append(exc)

    threads = [threading.Thread(target=fail) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 3
    with pytest.raises(Unavailable, match="circuit is open"):
        breaker_client(stub).request("GET", "x")
    other_domain = RestClient("billing", stub.url, token="t", retries=0, circuit_failures=3)
    with pytest.raises(Unavailable, match="answered 503"):  # its circuit is its own
        other_domain.request("GET", "x")
    assert stub.count("GET") == 4


def test_a_forked_child_forgets_its_parents_open_circuit(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    peer = client(stub, retries=0, circuit_failures=1, circuit_cooldown=60)
    with pytest.raises(Unavailable):
        peer.request("GET", "x")
    assert peer.breaker.state == "open"
    stub.respond = lambda method, path, body: (200, {"ok": 1}, 0)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a closed circuit of its own, and the call goes through
        try:
            closed = peer.breaker.state == "closed"
            answered = peer.request("GET", "x") == {"ok": 1}
            os.write(write, b"1" if closed and answered else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert peer.breaker.state == "open"  # the parent's own view is unchanged


def test_a_health_ping_probes_the_peer_while_its_circuit_is_open(stub):
    stub.respond = lambda method, path, body: (503, {}, 0)
    peer = client(stub, retries=0, circuit_failures=1, circuit_cooldown=60)
    with pytest.raises(Unavailable):
        peer.request("GET", "x")
    stub.respond = lambda method, path, body: (200, {"status": "ok"}, 0)
    result = peer.ping()
    assert result["status"] == "ok" and result["circuit"] == "open"
    assert stub.calls[-1]["path"].startswith("/health")


def test_a_trial_that_ends_without_a_verdict_leaves_the_next_call_the_trial():
    now = [0.0]
    breaker = CircuitBreaker("x", failures=1, cooldown=5, clock=lambda: now[0])
    breaker.failed(breaker.admit())
    assert breaker.admit() is Admission.REFUSED
    now[0] = 5.0
    trial = breaker.admit()
    assert trial is Admission.TRIAL and breaker.admit() is Admission.REFUSED
    breaker.abandoned(trial)
    assert breaker.admit() is Admission.TRIAL


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"DEADLINE": 0}, "['OPTIONS']['DEADLINE'] must be > 0"),
        ({"DEADLINE": -1}, "['OPTIONS']['DEADLINE'] must be >= 0"),
        ({"DEADLINE": "5"}, "['OPTIONS']['DEADLINE'] must be int/float"),
        ({"DEADLINE": True}, "['OPTIONS']['DEADLINE'] must be a number"),
        ({"CIRCUIT_FAILURES": 0}, "['OPTIONS']['CIRCUIT_FAILURES'] must be > 0"),
        ({"CIRCUIT_FAILURES": 2.5}, "['OPTIONS']['CIRCUIT_FAILURES'] must be int"),
        ({"CIRCUIT_COOLDOWN": 0}, "['OPTIONS']['CIRCUIT_COOLDOWN'] must be > 0"),
        ({"CIRCUIT_COOLDOWN": "soon"}, "['OPTIONS']['CIRCUIT_COOLDOWN'] must be int/float"),
    ],
)
def test_a_bad_deadline_or_circuit_option_is_improperly_configured_naming_the_key(
    options, named, monkeypatch
):
    monkeypatch.delenv("FACILITIES_SERVICE_URL", raising=False)
    monkeypatch.delenv("FACILITIES_SERVICE_TOKEN", raising=False)
    config = {"BACKEND": "rest", "URL": "http://facilities:8000", "TOKEN": "t", "OPTIONS": options}
    with pytest.raises(ImproperlyConfigured) as caught:
        RestBackend("facilities", config).rest_client()
    assert f"DOMAIN_SERVICES['facilities']{named}" in str(caught.value)
    assert any(named in problem for problem in RestBackend("facilities", config).check())


def test_the_deadline_and_circuit_options_reach_the_client(monkeypatch):
    monkeypatch.delenv("FACILITIES_SERVICE_URL", raising=False)
    monkeypatch.delenv("FACILITIES_SERVICE_TOKEN", raising=False)
    options = {"DEADLINE": 2.5, "CIRCUIT_FAILURES": 7, "CIRCUIT_COOLDOWN": 1.5}
    config = {"BACKEND": "rest", "URL": "http://facilities:8000", "TOKEN": "t", "OPTIONS": options}
    rest = RestBackend("facilities", config).rest_client()
    assert (rest.deadline, rest.circuit_failures, rest.circuit_cooldown) == (2.5, 7, 1.5)
    assert (rest.breaker.threshold, rest.breaker.cooldown) == (7, 1.5)
    defaults = RestBackend("facilities", {**config, "OPTIONS": {}}).rest_client()
    assert (defaults.deadline, defaults.circuit_failures, defaults.circuit_cooldown) == (5, 5, 5)
