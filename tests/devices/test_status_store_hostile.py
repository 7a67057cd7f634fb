"""Hostile input to the status store: each is rejected or ignored, and stored data stays intact.

Every test starts from one stored device and proves, after the attack, that its document is
exactly what it was (`intact`), so "rejected" also means "wrote nothing".
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import bson
import pytest
from pymongo.database import Database

from domain_services.devices.document_rules import DocumentRules
from domain_services.devices.status_store import DeviceMongoDBService, StatusUpdate
from domain_services.errors import ValidationFailed
from tests.devices.conftest import EUI, T0

OTHER = "0011223344556677"
STORED = {"battery": 87, "readings": {"t": 21.5}}


@pytest.fixture
def seeded(store: DeviceMongoDBService) -> DeviceMongoDBService:
    store.update(EUI, timestamp=T0, **STORED)
    store.update(OTHER, timestamp=T0, battery=50)
    return store


def raw_documents(store: DeviceMongoDBService) -> list[dict[str, Any]]:
    return sorted(store.collection.find(), key=lambda d: str(d["_id"]))


@pytest.fixture
def intact(seeded: DeviceMongoDBService) -> Any:
    before = raw_documents(seeded)
    yield
    assert raw_documents(seeded) == before, "a rejected write changed stored documents"


# Field names


@pytest.mark.usefixtures("intact")
@pytest.mark.parametrize(
    ("fields", "offender"),
    [
        ({"$set": {"battery": 0}}, "$set"),
        ({"battery": {"$inc": 1}}, "battery.$inc"),
        ({"readings": {"t": {"$gt": 0}}}, "readings.t.$gt"),
        ({"a.b": 1}, "a.b"),
        ({"readings": {"t.x": 1}}, "readings.t.x"),
        ({"_id": "FFFFFFFFFFFFFFFF"}, "_id"),
        ({"readings": {"_id": 1}}, "readings._id"),
        ({"updated_at": T0}, "updated_at"),
        ({"bat\x00tery": 1}, "bat\\x00tery"),
        ({"": 1}, "(empty)"),
        ({"readings": {"": 1}}, "readings."),
        ({"list": [{"ok": 1}, {"$bad": 1}]}, "list.1.$bad"),
        ({"readings": {1: "x"}}, "readings.1"),
    ],
)
def test_a_forbidden_field_name_is_rejected_by_name_and_writes_nothing(
    seeded: DeviceMongoDBService, fields: dict[Any, Any], offender: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), **{"ok": 1}, **_wrap(fields))
    assert offender in " ".join(info.value.errors), info.value.errors


def _wrap(fields: dict[Any, Any]) -> dict[str, Any]:
    # update(**fields) needs string keywords: a non-string top-level key goes through validate.
    return {"payload": fields} if any(type(k) is not str for k in fields) else fields


@pytest.mark.usefixtures("intact")
def test_a_bulk_batch_cannot_carry_an_unchecked_update(seeded: DeviceMongoDBService) -> None:
    with pytest.raises(ValidationFailed):
        seeded.bulk_update([StatusUpdate(EUI, T0 + timedelta(seconds=1), {"$set": {"a": 1}})])


# Depth, key count, size and values


@pytest.mark.usefixtures("intact")
def test_deep_nesting_is_rejected(seeded: DeviceMongoDBService) -> None:
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(5000):  # deeper than Python's recursion limit: must not crash either
        deep = {"n": deep}

    with pytest.raises(ValidationFailed, match="nested deeper than 8"):
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), deep=deep)


@pytest.mark.usefixtures("intact")
def test_deeply_nested_lists_are_rejected(seeded: DeviceMongoDBService) -> None:
    deep: list[Any] = [1]
    for _ in range(20):
        deep = [deep]

    with pytest.raises(ValidationFailed, match="nested deeper"):
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), deep=deep)


@pytest.mark.usefixtures("intact")
def test_too_many_keys_are_rejected(seeded: DeviceMongoDBService) -> None:
    many = {f"k{i}": i for i in range(100_000)}

    with pytest.raises(ValidationFailed, match="over 200 fields"):
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), readings=many)


@pytest.mark.usefixtures("intact")
@pytest.mark.parametrize(
    "fields",
    [
        {"blob": "x" * 17_000},
        {"a": "x" * 9000, "b": "y" * 9000},
        {"numbers": list(range(10_000_000))},
    ],
)
def test_a_huge_document_is_rejected(seeded: DeviceMongoDBService, fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), **fields)


def test_the_size_error_names_the_biggest_field(seeded: DeviceMongoDBService) -> None:
    with pytest.raises(ValidationFailed) as info:
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), a="x" * 4000, b="y" * 15000)
    assert list(info.value.errors) == ["b"]


@pytest.mark.parametrize(
    "fields",
    [
        {"firmware": "1.4.2", "readings": {"t": "x" * 150, "n": 7, "f": 0.5}},
        {"battery": 87, "readings": {"a": {"b": {"c": "y" * 120}}}, "on": True, "off": None},
        {"name": "é" * 90, "readings": {"t": 21.5}},  # non-ASCII: two bytes a character
        {"readings": {"seq": [1, 2, {"x": "z" * 100}]}},
    ],
)
def test_the_size_cap_holds_to_the_byte(fields: dict[str, Any]) -> None:
    # The check skips encoding when an upper bound of the size is under the cap: whatever the
    # shape, a document one byte over the cap is refused and one at the cap accepted.
    size = len(bson.encode(fields))
    DocumentRules(max_bytes=size).check(fields)
    with pytest.raises(ValidationFailed, match=f"encodes to {size} bytes"):
        DocumentRules(max_bytes=size - 1).check(fields)


def test_a_string_bson_cannot_hold_is_refused_by_name_before_any_write() -> None:
    with pytest.raises(ValidationFailed) as refused:
        StatusUpdate(EUI, T0, {"battery": 1, "readings": {"t": "\ud800"}})
    [message] = refused.value.errors["readings"]
    assert "cannot be stored in BSON" in message


@pytest.mark.usefixtures("intact")
@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", 2**70, ValueError("x")])
def test_values_that_are_not_json_like_are_rejected(
    seeded: DeviceMongoDBService, value: object
) -> None:
    with pytest.raises(ValidationFailed) as info:
        seeded.update(EUI, timestamp=T0 + timedelta(seconds=1), readings={"v": value})
    assert list(info.value.errors) == ["readings.v"]


def test_the_caps_come_from_settings(settings: Any, any_mongo_database: Database[Any]) -> None:
    settings.MONGODB = {"URL": "", "OPTIONS": {"MAX_DOCUMENT_DEPTH": 2, "MAX_DOCUMENT_KEYS": 3}}
    store = DeviceMongoDBService(database=any_mongo_database)

    store.update(EUI, timestamp=T0, a={"b": 1})
    with pytest.raises(ValidationFailed, match="nested deeper than 2"):
        store.update(EUI, timestamp=T0, a={"b": {"c": 1}})
    with pytest.raises(ValidationFailed, match="over 3 fields"):
        store.update(EUI, timestamp=T0, a=1, b=2, c=3, d=4)


# EUIs


@pytest.mark.usefixtures("intact")
@pytest.mark.parametrize(
    "eui",
    [
        {"$ne": None},
        {"$gt": ""},
        [EUI],
        (EUI,),
        0x70B3D57ED0001234,
        None,
        b"70B3D57ED0001234",
        "70B3D57ED0001234' || '1'=='1",
        "^.*",
        {"$regex": ".*"},
    ],
)
def test_a_non_string_or_malformed_eui_never_reaches_a_filter(
    seeded: DeviceMongoDBService, eui: Any
) -> None:
    with pytest.raises(ValidationFailed):
        seeded.update(eui, timestamp=T0 + timedelta(seconds=1), battery=0)
    with pytest.raises(ValidationFailed):
        seeded.get(eui)
    with pytest.raises(ValidationFailed):
        seeded.get_many([eui])
    with pytest.raises(ValidationFailed):
        seeded.delete(eui)


def test_a_str_subclass_eui_is_rejected(seeded: DeviceMongoDBService) -> None:
    class Sneaky(str):
        pass

    with pytest.raises(ValidationFailed):
        seeded.get(Sneaky(EUI))


def test_case_and_separator_variants_reach_the_same_document(seeded: DeviceMongoDBService) -> None:
    seeded.update("70-b3-d5-7e-d0-00-12-34", timestamp=T0 + timedelta(seconds=1), battery=1)

    assert [d["_id"] for d in raw_documents(seeded)] == [OTHER, EUI]
    status = seeded.get("70:B3:D5:7E:D0:00:12:34")
    assert status is not None and status.fields["battery"] == 1


# The extra query dict


@pytest.mark.parametrize(
    "extra",
    [
        {"_id": OTHER},
        {"_id": {"$ne": None}},
        {"$or": [{"_id": OTHER}, {"battery": 50}]},
        {"$where": "true"},
        {"battery": {"$where": "true"}},
        {"$expr": {"$function": {"body": "return true", "args": [], "lang": "js"}}},
    ],
)
def test_an_extra_query_cannot_override_the_eui_or_run_javascript(
    seeded: DeviceMongoDBService, extra: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as info:
        seeded.get(EUI, extra_query_dict=extra)
    assert any(k.startswith("extra_query_dict") for k in info.value.errors)


def test_an_extra_query_can_only_narrow_the_eui_match(seeded: DeviceMongoDBService) -> None:
    # OTHER has battery 50: an $or that would match it still cannot return it for EUI.
    status = seeded.get(EUI, extra_query_dict={"$or": [{"battery": 50}, {"battery": 87}]})

    assert status is not None and status.eui == EUI
    assert seeded.get(EUI, extra_query_dict={"$or": [{"battery": 50}]}) is None


@pytest.mark.parametrize("extra", [["_id"], "battery", 5])
def test_an_extra_query_must_be_a_mapping(seeded: DeviceMongoDBService, extra: Any) -> None:
    with pytest.raises(ValidationFailed):
        seeded.get(EUI, extra_query_dict=extra)


@pytest.mark.parametrize(
    "projection",
    [{"$where": 1}, {"battery": {"$slice": 1}}, {"battery": "yes"}, {"a": 1, "b": 0}, ["a"]],
)
def test_a_projection_is_only_field_names_with_0_or_1(
    seeded: DeviceMongoDBService, projection: Any
) -> None:
    with pytest.raises(ValidationFailed):
        seeded.get(EUI, projection_dict=projection)


# Time


@pytest.mark.usefixtures("intact")
def test_stale_updates_are_ignored_singly_and_in_batches(seeded: DeviceMongoDBService) -> None:
    assert seeded.update(EUI, timestamp=T0 - timedelta(days=1), battery=0) is False
    assert seeded.update(EUI, timestamp=T0, battery=0) is False

    result = seeded.bulk_update(
        [
            StatusUpdate(EUI, T0 - timedelta(seconds=1), {"battery": 0}),
            StatusUpdate(EUI, T0, {"battery": 1}),
            StatusUpdate(OTHER, T0 - timedelta(hours=1), {"battery": 2}),
        ]
    )
    assert (result.applied, result.stale, result.failed) == (0, 3, 0)


@pytest.mark.usefixtures("intact")
@pytest.mark.parametrize("timestamp", ["2025-05-01T12:00:00Z", 1_746_100_800, None.__class__])
def test_a_timestamp_that_is_not_a_datetime_is_rejected(
    seeded: DeviceMongoDBService, timestamp: Any
) -> None:
    with pytest.raises(ValidationFailed, match="timestamp"):
        seeded.update(EUI, timestamp=timestamp, battery=0)


# Concurrency


@pytest.mark.wire
def test_concurrent_writers_leave_the_newest_update_stored(mongo_database: Database[Any]) -> None:
    store = DeviceMongoDBService(database=mongo_database)
    fresh = "ABCDEF0123456789"  # no document yet: the writers also race to create it
    stamps = [T0 + timedelta(milliseconds=(i * 7919) % 400) for i in range(400)]
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def writer(part: int) -> None:
        barrier.wait()
        for stamp in stamps[part::8]:
            applied = store.update(fresh, timestamp=stamp, battery=stamp.microsecond // 1000)
            with lock:
                results.append(applied)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    newest = max(stamps)
    status = store.get(fresh)
    assert status is not None
    assert status.timestamp == newest
    assert status.fields["battery"] == newest.microsecond // 1000
    assert len(results) == 400 and results.count(True) >= 1
    assert store.update(fresh, timestamp=newest, battery=-1) is False


@pytest.mark.wire
def test_concurrent_batches_leave_the_newest_update_stored(mongo_database: Database[Any]) -> None:
    store = DeviceMongoDBService(database=mongo_database)
    euis = [f"{i:016X}" for i in range(50)]
    batches = [
        [StatusUpdate(eui, T0 + timedelta(seconds=b), {"batch": b}) for eui in euis]
        for b in range(6)
    ]
    barrier = threading.Barrier(len(batches))

    def write(batch: list[StatusUpdate]) -> None:
        barrier.wait()
        store.bulk_update(batch)

    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = store.get_many(euis)
    assert {s.fields["batch"] for s in statuses.values()} == {5}
    assert len(statuses) == 50
