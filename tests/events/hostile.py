"""Messages on an event topic that are not valid events, each with the reason it is refused."""

from __future__ import annotations

import json
import uuid

TOPIC = "events/ledger/Entry/created"


def valid(n: int = 0, **overrides: object) -> dict[str, object]:
    """A valid `ledger.Entry` created payload."""
    body: dict[str, object] = {
        "v": 1,
        "sequence": n + 1,
        "id": str(uuid.uuid4()),
        "domain": "ledger",
        "entity": "Entry",
        "action": "created",
        "uuid": str(uuid.uuid4()),
        "changed": [],
        "occurred_at": "2025-05-01T12:00:00+00:00",
        "data": {"n": n},
    }
    body.update(overrides)
    return body


def dumps(body: object) -> bytes:
    return json.dumps(body).encode()


def corpus() -> list[tuple[str, bytes, str]]:
    """(topic, payload, reason) for each hostile or malformed message."""
    deep = b"[" * 5000 + b"]" * 5000
    surrogate = dumps(valid(data={"label": "PLACEHOLDER"})).replace(b"PLACEHOLDER", b"\\ud800")
    nested: dict[str, object] = {"leaf": 1}
    for _ in range(20):
        nested = {"level": nested}
    cases: list[tuple[str, bytes, str]] = [
        (TOPIC, b"", "not_json"),
        (TOPIC, b"not json", "not_json"),
        (TOPIC, b"\xff\xfe\x00", "not_utf8"),
        (TOPIC, b'{"v": 1, "id": NaN}', "not_json"),
        (TOPIC, deep, "not_json"),
        (TOPIC, b"[1, 2]", "not_object"),
        (TOPIC, b'"a string"', "not_object"),
        (TOPIC, b"null", "not_object"),
        (TOPIC, b"x" * 70_000, "too_large"),
        (TOPIC, dumps(valid(v=2)), "version"),
        (TOPIC, dumps(valid(v="1")), "version"),
        (TOPIC, dumps(valid(v=True)), "version"),
        (TOPIC, dumps({k: v for k, v in valid().items() if k != "v"}), "version"),
        (TOPIC, dumps(valid(domain="facilities")), "mismatch"),
        (TOPIC, dumps(valid(entity="Room")), "mismatch"),
        (TOPIC, dumps(valid(action="deleted")), "mismatch"),
        (TOPIC, dumps(valid(id="not-a-uuid")), "schema"),
        (TOPIC, dumps(valid(id=False)), "schema"),
        (TOPIC, dumps(valid(id=0)), "schema"),
        (TOPIC, dumps(valid(uuid=None)), "schema"),
        (TOPIC, dumps(valid(uuid=["a"])), "schema"),
        (TOPIC, dumps(valid(occurred_at="yesterday")), "schema"),
        (TOPIC, dumps(valid(occurred_at="2025-05-01T12:00:00")), "schema"),
        (TOPIC, dumps(valid(sequence=-1)), "schema"),
        (TOPIC, dumps(valid(sequence="7")), "schema"),
        (TOPIC, dumps(valid(changed="name")), "schema"),
        (TOPIC, dumps(valid(changed=["na me"])), "schema"),
        (TOPIC, dumps(valid(data=[1, 2])), "schema"),
        (TOPIC, dumps(valid(data="text")), "schema"),
        (TOPIC, dumps(valid(data={"label": "a\u0000b"})), "schema"),
        (TOPIC, surrogate, "schema"),
        (TOPIC, dumps(valid(data=nested)), "schema"),
    ]
    return cases


# Topics a consumer subscribed to `events/+/+/+` could receive that name no event.
BAD_TOPICS = [
    ("events/ledger/Entry/exploded", "topic"),
    ("events/ledger/Entry", "topic"),
    ("events/ledger/Entry/created/extra", "topic"),
    ("events/led ger/Entry/created", "topic"),
    ("other/ledger/Entry/created", "topic"),
]
