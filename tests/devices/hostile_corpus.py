"""Malformed and hostile status messages, each with the dead-letter reason it must get.

All use topics the consumer subscribes to (`devices/+/status`), so the same corpus runs
through a real broker; `VICTIM` has a stored status the corpus must not change.
"""

from __future__ import annotations

import json
from typing import Any

from domain_services.devices.status_schema import Reason

VICTIM = "70B3D57ED0000BAD"
TOPIC = f"devices/{VICTIM}/status"
TS = "2025-05-01T12:00:00Z"


def body(**fields: Any) -> bytes:
    return json.dumps({"timestamp": "2025-05-01T00:00:00Z", **fields}).encode()


def raw(text: str) -> bytes:
    return text.encode()


# (name, topic, payload, expected reason). Timestamps are newer than the victim's stored one,
# so any of these that slipped through would change it.
CORPUS: list[tuple[str, str, bytes, str]] = [
    ("eui-not-hex", "devices/XYZXYZXYZXYZXYZX/status", body(battery=1), Reason.EUI),
    ("eui-empty", "devices//status", body(battery=1), Reason.EUI),
    ("eui-15-digits", "devices/70B3D57ED000BAD/status", body(battery=1), Reason.EUI),
    ("eui-17-digits", "devices/70B3D57ED0000BAD0/status", body(battery=1), Reason.EUI),
    ("eui-operator", "devices/$ne/status", body(battery=1), Reason.EUI),
    (
        "eui-fullwidth-digits",
        "devices/\uff17\uff10B3D57ED0000BAD/status",
        body(battery=1),
        Reason.EUI,
    ),
    ("too-large", TOPIC, body(readings={"x": "a" * 20_000}), Reason.TOO_LARGE),
    ("invalid-utf8", TOPIC, b'{"timestamp": "\xff\xfe"}', Reason.NOT_UTF8),
    ("utf8-surrogate", TOPIC, b'{"timestamp": "\xed\xa0\x80"}', Reason.NOT_UTF8),
    ("empty", TOPIC, b"", Reason.NOT_JSON),
    ("truncated", TOPIC, raw('{"timestamp": "2025-05-01T00:00:00Z"'), Reason.NOT_JSON),
    ("plain-text", TOPIC, raw("battery low"), Reason.NOT_JSON),
    ("nan", TOPIC, raw('{"timestamp": 1746100800, "battery": NaN}'), Reason.NOT_JSON),
    ("infinity", TOPIC, raw('{"timestamp": Infinity}'), Reason.NOT_JSON),
    ("deep-nesting", TOPIC, raw("[" * 5000 + "]" * 5000), Reason.NOT_JSON),
    ("array", TOPIC, raw("[]"), Reason.NOT_OBJECT),
    ("string", TOPIC, raw('"status"'), Reason.NOT_OBJECT),
    ("number", TOPIC, raw("42"), Reason.NOT_OBJECT),
    ("null", TOPIC, raw("null"), Reason.NOT_OBJECT),
    ("no-timestamp", TOPIC, raw('{"battery": 50}'), Reason.SCHEMA),
    ("unknown-key", TOPIC, body(batery=50), Reason.SCHEMA),
    ("operator-top-level", TOPIC, body(**{"$set": {"battery": 1}}), Reason.SCHEMA),
    ("id-top-level", TOPIC, body(_id="other"), Reason.SCHEMA),
    ("battery-over-100", TOPIC, body(battery=101), Reason.SCHEMA),
    ("battery-string", TOPIC, body(battery="50"), Reason.SCHEMA),
    ("battery-bool", TOPIC, body(battery=True), Reason.SCHEMA),
    ("signal-positive", TOPIC, body(signal=5), Reason.SCHEMA),
    ("signal-float", TOPIC, body(signal=-70.5), Reason.SCHEMA),
    ("firmware-empty", TOPIC, body(firmware=""), Reason.SCHEMA),
    ("firmware-control-chars", TOPIC, body(firmware="1.0\n\x1b[31m"), Reason.SCHEMA),
    ("readings-array", TOPIC, body(readings=[1, 2]), Reason.SCHEMA),
    ("readings-nested-object", TOPIC, body(readings={"x": {"$gt": 1}}), Reason.SCHEMA),
    ("readings-int-overflow", TOPIC, body(readings={"x": 2**64}), Reason.SCHEMA),
    (
        "readings-float-overflow",
        TOPIC,
        raw('{"timestamp": 1746100800, "readings": {"x": 1e400}}'),
        Reason.SCHEMA,
    ),
    ("timestamp-words", TOPIC, raw('{"timestamp": "yesterday"}'), Reason.SCHEMA),
    ("timestamp-naive", TOPIC, raw('{"timestamp": "2025-05-01T00:00:00"}'), Reason.SCHEMA),
    ("timestamp-far-future", TOPIC, raw('{"timestamp": 4102444800}'), Reason.SCHEMA),
    ("timestamp-epoch-zero", TOPIC, raw('{"timestamp": 0}'), Reason.SCHEMA),
    ("timestamp-bool", TOPIC, raw('{"timestamp": true}'), Reason.SCHEMA),
    ("reading-key-dollar", TOPIC, body(readings={"$where": 1}), Reason.STORE_RULES),
    ("reading-key-dot", TOPIC, body(readings={"a.b": 1}), Reason.STORE_RULES),
    ("reading-key-empty", TOPIC, body(readings={"": 1}), Reason.STORE_RULES),
    ("reading-key-nul", TOPIC, body(readings={"a\u0000b": 1}), Reason.STORE_RULES),
]
