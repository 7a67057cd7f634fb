"""Events on the wire: one topic per domain, entity and action, a versioned JSON payload.

    topic    events/facilities/Room/deleted              (<prefix>/<domain>/<Model>/<action>)
    payload  {"v": 1, "sequence": 412, "id": "<event uuid>", "domain": "facilities",
              "entity": "Room", "action": "deleted", "uuid": "<object uuid>",
              "changed": [], "occurred_at": "2025-05-01T12:00:00.250000+00:00", "data": null}

`encode` makes the payload stored in the outbox (without `sequence`, which is the outbox row's
id: `with_sequence` adds it when the relay publishes). `decode` is the consumer's edge: it
checks everything about a received message, in a fixed order, and raises `EventRefused` with a
reason and a detail; it never raises anything else.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain_services.events import EVENT_TYPES, ObjectEvent

VERSION = 1
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_MAX_CHANGED = 500
_MAX_DEPTH = 16


class Reason:
    """Why a received message was refused (the consumer counts each)."""

    TOPIC = "topic"  # not <prefix>/<domain>/<Model>/<created|updated|deleted>
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"  # also NaN/Infinity, nesting too deep
    NOT_OBJECT = "not_object"
    VERSION = "version"  # `v` missing or not a version this code reads
    SCHEMA = "schema"  # a field missing or of the wrong type; the detail names it
    MISMATCH = "mismatch"  # the payload's domain, entity or action is not the topic's


class EventRefused(Exception):
    """A received message that is not a valid event: `reason` (a `Reason`) and `detail`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def topic_for(event: ObjectEvent, prefix: str) -> str:
    """`<prefix>/<domain>/<Model>/<action>`."""
    return f"{prefix}/{event.domain}/{event.entity}/{event.action}"


def topic_filter(prefix: str, target: str | None = None, action: str | None = None) -> str:
    """The subscription filter for `target`'s events (all targets' when None), one action or
    every action."""
    domain, _, entity = (target or "").partition(".")
    return "/".join([prefix, domain or "+", entity or "+", action or "+"])


def encode(event: ObjectEvent) -> str:
    """The payload of `event` as compact JSON, without `sequence`."""
    return json.dumps(
        {
            "v": VERSION,
            "id": str(event.id),
            "domain": event.domain,
            "entity": event.entity,
            "action": event.action,
            "uuid": str(event.uuid),
            "changed": list(event.changed),
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def with_sequence(payload: str | bytes, sequence: int) -> bytes:
    """A stored payload with `"sequence": <sequence>` first, as the relay publishes it."""
    body = payload.encode() if isinstance(payload, str) else payload
    return b'{"sequence":%d,%s' % (sequence, body[1:])


def decode(topic: str, payload: bytes, *, prefix: str, max_bytes: int) -> ObjectEvent:
    """The event in a received message, or EventRefused saying why not."""
    domain, entity, action = _parse_topic(topic, prefix)
    if len(payload) > max_bytes:
        raise EventRefused(Reason.TOO_LARGE, f"{len(payload)} bytes, more than {max_bytes}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventRefused(Reason.NOT_UTF8, str(exc)) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise EventRefused(Reason.NOT_JSON, str(exc)[:200]) from None
    if not isinstance(document, dict):
        raise EventRefused(Reason.NOT_OBJECT, f"a JSON {type(document).__name__}")
    version = document.get("v")
    if type(version) is not int or version != VERSION:
        raise EventRefused(Reason.VERSION, f"v={str(version)[:20]!r}; this consumer reads v=1")
    for key, expected in (("domain", domain), ("entity", entity), ("action", action)):
        if document.get(key) != expected:
            raise EventRefused(
                Reason.MISMATCH, f"{key} {str(document.get(key))[:100]!r} is not the topic's"
            )
    changed = document.get("changed", [])
    if (
        not isinstance(changed, list)
        or len(changed) > _MAX_CHANGED
        or not all(isinstance(n, str) and _IDENTIFIER.match(n) for n in changed)
    ):
        raise EventRefused(Reason.SCHEMA, "changed: must be a list of field names")
    data = document.get("data")
    if data is not None:
        if not isinstance(data, dict):
            raise EventRefused(Reason.SCHEMA, "data: must be an object or null")
        _check_value(data, "data", 0)
    sequence = document.get("sequence")
    if sequence is not None and (type(sequence) is not int or sequence < 1):
        raise EventRefused(Reason.SCHEMA, "sequence: must be a whole number >= 1")
    return EVENT_TYPES[action](
        target=f"{domain}.{entity}",
        uuid=_uuid(document, "uuid"),
        changed=tuple(changed),
        data=data,
        id=_uuid(document, "id"),
        occurred_at=_datetime(document, "occurred_at"),
        sequence=sequence,
    )


def _parse_topic(topic: str, prefix: str) -> tuple[str, str, str]:
    head = prefix + "/"
    if not topic.startswith(head):
        raise EventRefused(Reason.TOPIC, f"expected {prefix}/<domain>/<Model>/<action>")
    parts = topic[len(head) :].split("/")
    if len(parts) != 3 or not all(_IDENTIFIER.match(p) for p in parts[:2]):
        raise EventRefused(Reason.TOPIC, f"expected {prefix}/<domain>/<Model>/<action>")
    if parts[2] not in EVENT_TYPES:
        raise EventRefused(Reason.TOPIC, f"unknown action; one of {sorted(EVENT_TYPES)}")
    return parts[0], parts[1], parts[2]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _uuid(document: Mapping[str, Any], key: str) -> uuid.UUID:
    value = document.get(key)
    if not isinstance(value, str) or len(value) > 36:
        raise EventRefused(Reason.SCHEMA, f"{key}: must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise EventRefused(Reason.SCHEMA, f"{key}: must be a UUID string") from None


def _datetime(document: Mapping[str, Any], key: str) -> datetime:
    value = document.get(key)
    if not isinstance(value, str) or len(value) > 40:
        raise EventRefused(Reason.SCHEMA, f"{key}: must be an ISO 8601 date and time")
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        raise EventRefused(Reason.SCHEMA, f"{key}: must be an ISO 8601 date and time") from None
    if found.tzinfo is None:
        raise EventRefused(Reason.SCHEMA, f"{key}: needs a UTC offset")
    return found


def _check_value(value: Any, path: str, depth: int) -> None:
    """Data a database can store: no lone surrogates (valid JSON escapes that are not text),
    no NUL characters (PostgreSQL refuses them), not nested without end."""
    if depth > _MAX_DEPTH:
        raise EventRefused(Reason.SCHEMA, f"{path}: nested more than {_MAX_DEPTH} deep")
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_value(item, f"{path}.{key[:50]}", depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, path, depth + 1)


def _check_text(text: str, path: str) -> None:
    if "\0" in text:
        raise EventRefused(Reason.SCHEMA, f"{path}: text with a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EventRefused(Reason.SCHEMA, f"{path}: text that is not valid Unicode") from None
