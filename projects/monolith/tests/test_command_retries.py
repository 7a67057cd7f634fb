"""Commands are validated before they are published, and safe to retry with Idempotency-Key.

Against the real broker (Mosquitto) and the MongoDB wire server, like the other live tests.
"""

from __future__ import annotations

import json
import queue
import threading

import pytest

from tests.conftest import reset_live
from tests.test_device_live import AUTH

pytestmark = pytest.mark.django_db(databases="__all__")


def post(client, device, body, **headers):
    return client.post(
        f"/api/v1/devices/{device.uuid}/commands",
        json.dumps(body, ensure_ascii=True),
        content_type="application/json",
        **AUTH,
        **headers,
    )


def drain(inbox: queue.Queue, *, quiet: float = 0.5) -> list[dict]:
    """Every command the device received until the broker has been quiet for `quiet` s."""
    got = []
    while True:
        try:
            _, payload = inbox.get(timeout=quiet)
        except queue.Empty:
            return got
        got.append(json.loads(payload))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"x": "\ud800"}, "args.x"),
        ({"\udfff": 1}, "args.\\udfff"),
        ({"deep": [1, {"y": "a\ud800b"}]}, "args.deep.1.y"),
    ],
)
def test_a_lone_surrogate_in_args_is_a_400_and_nothing_is_published(
    client, device, command_inbox, args, field
):
    response = post(client, device, {"command": "ping", "args": args})

    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(name in (field, "args") or name.startswith("args") for name in errors), errors
    assert drain(command_inbox) == []


def test_a_retry_with_the_same_key_is_published_once_and_answered_alike(
    client, device, command_inbox
):
    body = {"command": "reboot", "args": {"delay": 5, "force": True}}

    first = post(client, device, body, HTTP_IDEMPOTENCY_KEY="reboot-42")
    again = post(client, device, body, HTTP_IDEMPOTENCY_KEY="reboot-42")

    assert first.status_code == again.status_code == 202, (first.content, again.content)
    assert again.json() == first.json()
    received = drain(command_inbox)
    assert [c["command_id"] for c in received] == [first.json()["command_id"]]
    assert received[0]["args"] == {"delay": 5, "force": True}


def test_another_key_or_no_key_publishes_again(client, device, command_inbox):
    body = {"command": "ping"}

    ids = {
        post(client, device, body, HTTP_IDEMPOTENCY_KEY="a").json()["command_id"],
        post(client, device, body, HTTP_IDEMPOTENCY_KEY="b").json()["command_id"],
        post(client, device, body).json()["command_id"],
        post(client, device, body).json()["command_id"],
    }

    assert len(ids) == 4
    assert {c["command_id"] for c in drain(command_inbox)} == ids


def test_a_key_reused_for_another_command_is_a_400(client, device, command_inbox):
    assert post(client, device, {"command": "ping"}, HTTP_IDEMPOTENCY_KEY="k1").status_code == 202

    response = post(client, device, {"command": "reboot"}, HTTP_IDEMPOTENCY_KEY="k1")

    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert [c["command"] for c in drain(command_inbox)] == ["ping"]


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "tab\tkey"])
def test_a_malformed_key_is_a_400_naming_the_header(client, device, command_inbox, key):
    response = post(client, device, {"command": "ping"}, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert drain(command_inbox) == []


def test_concurrent_retries_with_one_key_publish_once(live_server, device, command_inbox):
    import requests

    url = f"{live_server.url}/api/v1/devices/{device.uuid}/commands"
    headers = {"Authorization": AUTH["HTTP_AUTHORIZATION"], "Idempotency-Key": "race"}
    answers: list[requests.Response] = []
    start = threading.Barrier(6)

    def send() -> None:
        start.wait()
        answers.append(requests.post(url, json={"command": "ping"}, headers=headers, timeout=30))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {202, 409} and 202 in statuses, statuses
    assert len({a.json()["command_id"] for a in answers if a.status_code == 202}) == 1
    assert len(drain(command_inbox)) == 1


def test_a_publish_that_failed_is_retried_with_the_same_command_id(
    client, device, command_inbox, settings, mqtt_url
):
    from domain_services.testing.network import free_port

    body = {"command": "ping"}
    settings.MQTT = {**settings.MQTT, "URL": f"mqtt://127.0.0.1:{free_port()}"}
    settings.MQTT["CONNECT_TIMEOUT"] = 1
    reset_live()
    assert post(client, device, body, HTTP_IDEMPOTENCY_KEY="once").status_code == 503

    settings.MQTT = {**settings.MQTT, "URL": mqtt_url}
    reset_live()
    retried = post(client, device, body, HTTP_IDEMPOTENCY_KEY="once")

    assert retried.status_code == 202, retried.content
    received = drain(command_inbox)
    assert [c["command_id"] for c in received] == [retried.json()["command_id"]]
