"""`StatusDecoder` accepts exactly what the step-by-step checks accept, with the same results.

The decoder's fast path (msgspec, then only the checks the schema cannot vouch for) must agree
with the definition: `decode_payload` + `parse_status` + a fully checked `StatusUpdate`. Every
test compares the two outcomes for the same payload, whatever the payload.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain_services.devices.status_schema import (
    ALLOWED_KEYS,
    Reason,
    StatusDecoder,
    StatusRejected,
    decode_payload,
    parse_status,
)
from domain_services.devices.status_store import StatusUpdate
from domain_services.errors import ValidationFailed
from tests.devices.hostile_corpus import CORPUS

EUI = "70B3D57ED0001234"
MAX_BYTES = 16_384


def outcome(update: Any) -> tuple[Any, ...]:
    """What a result is, types included (87 and 87.0 are not the same report)."""
    if isinstance(update, StatusRejected):
        return ("rejected", update.reason, update.detail)
    if isinstance(update, ValidationFailed):
        return ("store rules", update.message)
    return ("update", update.eui, update.timestamp, typed(dict(update.fields)))


def typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    return (type(value).__name__, value)


def defined(payload: bytes) -> tuple[Any, ...]:
    """The definition: the two steps, then every check of `StatusUpdate`."""
    try:
        timestamp, fields = parse_status(decode_payload(payload, max_bytes=MAX_BYTES))
        return outcome(StatusUpdate(EUI, timestamp, fields))
    except (StatusRejected, ValidationFailed) as exc:
        return outcome(exc)


def decoded(payload: bytes, decoder: StatusDecoder | None = None) -> tuple[Any, ...]:
    decoder = decoder or StatusDecoder(max_bytes=MAX_BYTES)
    try:
        return outcome(decoder.update(EUI, payload))
    except (StatusRejected, ValidationFailed) as exc:
        return outcome(exc)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=300),
)
names = st.one_of(
    st.sampled_from(["t", "temperature", "door_open", "$gt", "a.b", "", "_id", "x\x00y", "é"]),
    st.text(max_size=8),
)
timestamps = st.one_of(
    st.sampled_from(
        [
            "2025-05-01T12:00:00Z",
            "2025-05-01T12:00:00.2501239Z",
            "2025-05-01T14:00:00.250+02:00",
            "2025-05-01T12:00:00",
            "20250501T120000Z",
            "1999-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "yesterday",
        ]
    ),
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=10**300, max_value=10**320),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
statuses = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": timestamps,
        "battery": st.one_of(st.integers(-5, 105), st.floats(-1, 101), scalars),
        "signal": st.one_of(st.integers(-210, 10), scalars),
        "firmware": st.one_of(st.text(max_size=70), scalars),
        "readings": st.one_of(
            st.dictionaries(names, scalars, max_size=70),
            st.dictionaries(names, st.dictionaries(names, scalars, max_size=2), max_size=2),
            scalars,
            st.lists(scalars, max_size=2),
        ),
        "batery": scalars,
    },
)


# Within the schema but for the reading names, which the store's rules judge.
valid_statuses = st.fixed_dictionaries(
    {
        "timestamp": st.one_of(
            st.integers(min_value=946_684_800, max_value=1_746_100_800),
            st.floats(min_value=946_684_800, max_value=1_746_100_800),
            st.datetimes(
                min_value=datetime(2000, 1, 2),
                max_value=datetime(2025, 5, 1),
                timezones=st.just(UTC),
            ).map(lambda moment: moment.isoformat()),
        )
    },
    optional={
        "battery": st.one_of(st.integers(0, 100), st.floats(0, 100)),
        "signal": st.integers(-200, 0),
        "firmware": st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=64),
        "readings": st.dictionaries(
            names,
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(2**63), 2**63 - 1),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=256),
            ),
            max_size=64,
        ),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_statuses)
def test_the_decoder_agrees_with_the_definition_on_statuses_in_the_schema(
    status: dict[str, Any],
) -> None:
    payload = json.dumps(status).encode()
    assert decoded(payload) == defined(payload)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statuses)
@example({"timestamp": "2025-05-01T12:00:00Z", "battery": 87, "readings": {"t": 21.5}})
@example({"timestamp": 1746100800.5, "battery": 87.0, "signal": -70, "firmware": "1.4.2"})
@example({"timestamp": "2025-05-01T12:00:00Z", "readings": {"x": 2**63 - 1, "y": -(2**63)}})
@example({"timestamp": "2025-05-01T12:00:00Z", "readings": {"x": 2**63}})
@example({"timestamp": "2025-05-01T12:00:00Z", "firmware": "1.0\n"})
@example({"timestamp": "2025-05-01T12:00:00Z", "readings": {"$where": 1, "t": 2}})
def test_the_decoder_agrees_with_the_definition_on_any_document(status: dict[str, Any]) -> None:
    payload = json.dumps(status).encode()
    assert decoded(payload) == defined(payload)


@pytest.mark.parametrize(("name", "topic", "payload", "reason"), CORPUS, ids=[c[0] for c in CORPUS])
def test_every_hostile_payload_gets_the_same_answer(
    name: str, topic: str, payload: bytes, reason: str
) -> None:
    assert decoded(payload) == defined(payload)


@pytest.mark.parametrize(
    "payload",
    [
        # JSON keeps the last of duplicate keys; msgspec checks each: the definition decides.
        b'{"timestamp": 1746100800, "battery": 500, "battery": 50}',
        b'{"timestamp": 1746100800, "battery": 50, "battery": 500}',
        # A lone surrogate escape: msgspec refuses it, json decodes it, BSON cannot store it.
        b'{"timestamp": 1746100800, "readings": {"t": "\\ud800"}}',
        b'{"timestamp": 1746100800, "firmware": "\\ud800"}',
        b'{"timestamp": 1746100800, "readings": {"t": 1e400}}',
        b'{"timestamp": -1e400}',
        b'  {"timestamp": 1746100800}  ',
        b'{"timestamp": 1746100800} trailing',
        b"\xef\xbb\xbf{}",
    ],
)
def test_payloads_where_the_parsers_differ_get_the_definition_s_answer(payload: bytes) -> None:
    assert decoded(payload) == defined(payload)


def test_a_payload_over_the_size_limit_is_refused_before_decoding() -> None:
    payload = json.dumps({"timestamp": 1746100800, "firmware": "x" * 60}).encode()
    decoder = StatusDecoder(max_bytes=len(payload) - 1)
    with pytest.raises(StatusRejected) as refused:
        decoder.update(EUI, payload)
    assert refused.value.reason == Reason.TOO_LARGE


@pytest.mark.parametrize(
    ("options", "status", "field"),
    [
        ({"MAX_DOCUMENT_KEYS": 3}, {"battery": 1, "signal": -1, "readings": {"a": 1}}, "readings"),
        (
            {"MAX_DOCUMENT_KEYS": 3},
            {"battery": 1, "signal": -1, "firmware": "1", "readings": {}},
            "",
        ),
        ({"MAX_DOCUMENT_DEPTH": 1}, {"readings": {}}, "readings"),
        ({"MAX_DOCUMENT_BYTES": 64}, {"firmware": "x" * 60}, "firmware"),
    ],
)
def test_caps_tighter_than_the_schema_s_are_the_store_s_to_enforce(
    settings: Any, options: dict[str, int], status: dict[str, Any], field: str
) -> None:
    settings.MONGODB = {**settings.MONGODB, "OPTIONS": options}
    payload = json.dumps({"timestamp": 1746100800, **status}).encode()
    result = decoded(payload)
    assert result == defined(payload)
    assert result[0] == "store rules" and field in result[1]


def test_a_remembered_reading_name_does_not_let_a_bad_one_through() -> None:
    decoder = StatusDecoder(max_bytes=MAX_BYTES)
    good = json.dumps({"timestamp": 1746100800, "readings": {"t": 1}}).encode()
    bad = json.dumps({"timestamp": 1746100800, "readings": {"t": 1, "a.b": 2}}).encode()
    assert decoded(good, decoder)[0] == "update"
    assert decoded(bad, decoder) == defined(bad)
    assert decoded(bad, decoder)[0] == "store rules"


def test_the_schema_s_keys_are_the_decoder_s() -> None:
    # One schema, written twice (checks and types): a key added to one must be added to both.
    payload = json.dumps({key: None for key in ALLOWED_KEYS - {"timestamp"}} | {"x": 1}).encode()
    assert decoded(payload)[0] == "rejected"
    stamp = "2025-05-01T12:00:00Z"
    full = {"timestamp": stamp, "battery": 1, "signal": -1, "firmware": "1", "readings": {}}
    assert set(full) == ALLOWED_KEYS
    assert decoded(json.dumps(full).encode())[0] == "update"


@pytest.mark.parametrize(
    "payload",
    [
        # Past a float's range: math.isfinite() of the integer raises OverflowError.
        b'{"timestamp": 1' + b"0" * 309 + b"}",
        b'{"timestamp": -1' + b"0" * 309 + b"}",
        # Valid ISO 8601, but UTC falls outside datetime's range.
        b'{"timestamp": "0001-01-01T00:00:00+01:00"}',
        b'{"timestamp": "9999-12-31T23:59:59-01:00"}',
    ],
)
def test_a_timestamp_out_of_any_range_is_a_schema_rejection_not_a_crash(payload: bytes) -> None:
    assert decoded(payload)[:2] == ("rejected", Reason.SCHEMA)
    assert decoded(payload) == defined(payload)
