"""The device status store: EUIs, last write wins, batches, reads through typed statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_store import DeviceMongoDBService, DeviceStatus, StatusUpdate
from domain_services.errors import ValidationFailed
from tests.devices.conftest import EUI, T0, Clock


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# EUIs


@pytest.mark.parametrize(
    "value",
    ["70b3d57ed0001234", "70B3D57ED0001234", "70-b3-d5-7e-d0-00-12-34", "70:B3:D5:7E:D0:00:12:34"],
)
def test_an_eui_is_normalised_to_16_upper_case_hex_digits(value: str) -> None:
    assert normalize_eui(value) == EUI


@pytest.mark.parametrize(
    "value",
    [
        "70B3D57ED000123",
        "70B3D57ED00012345",
        "70B3D57ED000123G",
        "70-B3:D5-7E-D0-00-12-34",
        "70B3D57ED0001234\n",
        " 70B3D57ED0001234",
        "",
        "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥",
    ],
)
def test_a_malformed_eui_string_is_rejected(value: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalize_eui(value)
    assert "eui" in info.value.errors


# Writes and reads


def test_an_update_creates_the_status_and_get_reads_it_back(
    store: DeviceMongoDBService, clock: Clock
) -> None:
    assert store.update(EUI.lower(), timestamp=at(0), battery=87, readings={"t": 21.5}) is True

    status = store.get(EUI)
    assert status == DeviceStatus(
        eui=EUI,
        timestamp=at(0),
        updated_at=clock.now,
        online=True,
        fields={"battery": 87, "readings": {"t": 21.5}},
    )


def test_a_later_update_sets_its_fields_and_keeps_the_others(store: DeviceMongoDBService) -> None:
    store.update(EUI, timestamp=at(0), battery=87, firmware="1.0")
    store.update(EUI, timestamp=at(1), battery=80)

    status = store.get(EUI)
    assert status is not None
    assert status.timestamp == at(1)
    assert dict(status.fields) == {"battery": 80, "firmware": "1.0"}


def test_an_unknown_device_has_no_status(store: DeviceMongoDBService) -> None:
    assert store.get(EUI) is None


def test_the_default_timestamp_is_the_store_clock(
    store: DeviceMongoDBService, clock: Clock
) -> None:
    store.update(EUI, battery=1)

    status = store.get(EUI)
    assert status is not None and status.timestamp == clock.now


def test_an_older_update_is_stale_and_changes_nothing(
    store: DeviceMongoDBService, clock: Clock
) -> None:
    store.update(EUI, timestamp=at(10), battery=90)
    first_write = clock.now
    clock.advance(5)

    assert store.update(EUI, timestamp=at(5), battery=10, extra="x") is False

    status = store.get(EUI)
    assert status is not None
    assert (status.timestamp, status.updated_at) == (at(10), first_write)
    assert dict(status.fields) == {"battery": 90}


def test_an_update_with_the_stored_timestamp_is_a_duplicate_and_stale(
    store: DeviceMongoDBService,
) -> None:
    store.update(EUI, timestamp=at(10), battery=90)

    assert store.update(EUI, timestamp=at(10), battery=11) is False
    status = store.get(EUI)
    assert status is not None and status.fields["battery"] == 90


def test_timestamps_compare_at_millisecond_precision_like_the_server(
    store: DeviceMongoDBService,
) -> None:
    store.update(EUI, timestamp=at(10) + timedelta(microseconds=100), battery=90)

    assert store.update(EUI, timestamp=at(10) + timedelta(microseconds=900), battery=1) is False


def test_a_timestamp_in_another_zone_is_stored_in_utc(store: DeviceMongoDBService) -> None:
    store.update(EUI, timestamp=datetime(2025, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))

    status = store.get(EUI)
    assert status is not None and status.timestamp == T0
    assert status.timestamp.utcoffset() == timedelta(0)


def test_online_follows_the_window_since_the_last_applied_report(
    store: DeviceMongoDBService, clock: Clock
) -> None:
    store.update(EUI, timestamp=at(0), battery=1)
    clock.advance(299)
    assert store.get(EUI).online is True  # type: ignore[union-attr]

    clock.advance(2)
    assert store.get(EUI).online is False  # type: ignore[union-attr]


def test_the_online_window_comes_from_settings_by_default(settings: Any) -> None:
    settings.MONGODB = {"URL": "", "OPTIONS": {"STATUS_ONLINE_WINDOW": 42}}

    assert DeviceMongoDBService().online_window == timedelta(seconds=42)


def test_get_with_a_projection_returns_those_fields_and_the_timestamps(
    store: DeviceMongoDBService,
) -> None:
    store.update(EUI, timestamp=at(0), battery=87, firmware="1.0", readings={"t": 1, "h": 2})

    status = store.get(EUI, projection_dict={"battery": 1, "readings.t": 1})

    assert status is not None
    assert dict(status.fields) == {"battery": 87, "readings": {"t": 1}}
    assert status.timestamp == at(0) and status.online is True


def test_get_with_an_exclusion_projection_leaves_those_fields_out(
    store: DeviceMongoDBService,
) -> None:
    store.update(EUI, timestamp=at(0), battery=87, firmware="1.0")

    status = store.get(EUI, projection_dict={"firmware": 0, "timestamp": 0})

    assert status is not None
    assert dict(status.fields) == {"battery": 87}
    assert status.timestamp == at(0)


def test_get_with_an_extra_query_matches_only_when_both_hold(store: DeviceMongoDBService) -> None:
    store.update(EUI, timestamp=at(0), battery=87)

    assert store.get(EUI, extra_query_dict={"battery": {"$gte": 50}}) is not None
    assert store.get(EUI, extra_query_dict={"battery": {"$lt": 50}}) is None


def test_get_many_reads_several_devices_in_one_query(store: DeviceMongoDBService) -> None:
    other = "0011223344556677"
    store.update(EUI, timestamp=at(0), battery=1)
    store.update(other, timestamp=at(0), battery=2)

    statuses = store.get_many([EUI.lower(), other, "FFFFFFFFFFFFFFFF", EUI])

    assert set(statuses) == {EUI, other}
    assert statuses[other].fields["battery"] == 2
    assert store.get_many([]) == {}


def test_delete_forgets_the_status(store: DeviceMongoDBService) -> None:
    store.update(EUI, timestamp=at(0), battery=1)

    assert store.delete(EUI.lower()) is True
    assert store.get(EUI) is None


# Batches


def test_a_batch_applies_new_and_newer_updates_and_counts_stale_ones(
    store: DeviceMongoDBService,
) -> None:
    store.update("AAAAAAAAAAAAAAAA", timestamp=at(10), battery=10)
    updates = [
        store.validate("AAAAAAAAAAAAAAAA", {"battery": 5}, timestamp=at(5)),  # stale
        store.validate("BBBBBBBBBBBBBBBB", {"battery": 20}, timestamp=at(20)),  # new
        store.validate("CCCCCCCCCCCCCCCC", {"battery": 30}, timestamp=at(30)),  # new
    ]

    result = store.bulk_update(updates)

    assert (result.applied, result.stale, result.failed) == (2, 1, 0)
    statuses = store.get_many(["AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCC"])
    assert {eui: s.fields["battery"] for eui, s in statuses.items()} == {
        "AAAAAAAAAAAAAAAA": 10,
        "BBBBBBBBBBBBBBBB": 20,
        "CCCCCCCCCCCCCCCC": 30,
    }


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_within_a_batch_the_newest_update_of_a_device_wins_whatever_the_order(
    store: DeviceMongoDBService, order: list[int]
) -> None:
    updates = [StatusUpdate(EUI, at(i), {"battery": i}) for i in range(3)]

    result = store.bulk_update([updates[i] for i in order])

    assert (result.applied, result.stale) == (1, 2)
    status = store.get(EUI)
    assert status is not None and status.fields["battery"] == 2


def test_replaying_a_batch_writes_nothing_new(store: DeviceMongoDBService, clock: Clock) -> None:
    batch = [StatusUpdate(f"{i:016X}", at(i), {"battery": i}) for i in range(5)]
    store.bulk_update(batch)
    before = store.get_many([u.eui for u in batch])
    clock.advance(10)

    again = store.bulk_update(batch)

    assert (again.applied, again.stale, again.failed) == (0, 5, 0)
    after = store.get_many([u.eui for u in batch])
    assert {e: (s.updated_at, dict(s.fields)) for e, s in after.items()} == {
        e: (s.updated_at, dict(s.fields)) for e, s in before.items()
    }


def test_an_empty_batch_does_nothing(store: DeviceMongoDBService) -> None:
    assert store.bulk_update([]).total == 0


def test_a_batch_accepts_only_status_updates(store: DeviceMongoDBService) -> None:
    with pytest.raises(TypeError, match=r"updates\[0\]"):
        store.bulk_update([{"eui": EUI}])  # type: ignore[list-item]


def test_validate_names_the_offending_field(store: DeviceMongoDBService) -> None:
    with pytest.raises(ValidationFailed) as info:
        store.validate(EUI, {"readings": {"a.b": 1}})
    assert list(info.value.errors) == ["readings.a.b"]


def test_a_status_update_is_frozen_and_normalised() -> None:
    update = StatusUpdate("70-b3-d5-7e-d0-00-12-34", T0 + timedelta(microseconds=1500), {"a": 1})

    assert update.eui == EUI
    assert update.timestamp == T0 + timedelta(microseconds=1000)
    with pytest.raises(TypeError):
        update.fields["a"] = 2  # type: ignore[index]


def test_a_naive_or_far_future_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        StatusUpdate(EUI, datetime(2025, 1, 1), {})
    with pytest.raises(ValidationFailed, match="future"):
        StatusUpdate(EUI, datetime.now(UTC) + timedelta(days=2), {})
