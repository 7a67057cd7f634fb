"""The device status store against raw pymongo doing the same writes on the same server.

- `mongodb.status_bulk_update`: `DeviceMongoDBService.bulk_update` of validated `StatusUpdate`s
  built from the same inputs, against `collection.bulk_write` of the same unordered upserts
  (same last-write-wins filter, same `$set` including `updated_at`), in batches of 500.
- `mongodb.status_update`: `update()` per call against `update_one` with the same filter and
  update.

The server is an nx-27017 started here (or `MONGODB_URL`). Store and baseline write to two
collections of one database; every round uses newer device timestamps, so every write applies.
Run: `python -m benchmarks.bench_mongodb`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import django
from django.conf import settings

from benchmarks.report import interleaved, report
from domain_services.testing.mongodb import MongoWireServer

BULK_N = 20_000
BATCH = 500
DEVICES = 2_000
UPDATE_N = 2_000
FIELDS = {
    "battery": 87,
    "signal": -71,
    "firmware": "1.4.2",
    "readings": {"temperature": 21.5, "humidity": 40, "door_open": False},
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def main() -> None:
    url = os.environ.get("MONGODB_URL")
    server = None if url else MongoWireServer()
    if server is not None:
        server.start()
        url = server.url
    try:
        settings.configure(
            MONGODB={"URL": url, "DATABASE": "bench_mongodb"},
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
        run()
    finally:
        if server is not None:
            server.close()


def run() -> None:
    from pymongo import UpdateOne

    from domain_services.devices.status_store import DeviceMongoDBService, StatusUpdate
    from domain_services.integrations.mongodb import get_client, get_database

    database = get_database()
    get_client().drop_database(database.name)
    store = DeviceMongoDBService()
    raw = database["raw_status"]
    euis = [f"70B3D57E{i:08X}" for i in range(DEVICES)]
    clock = itertools.count(1)
    base = datetime(2025, 5, 1, tzinfo=UTC)

    def round_inputs(n: int) -> list[tuple[str, datetime, dict[str, Any]]]:
        # One device time per pass over the fleet: a device's next report is always newer.
        stamps = [base + timedelta(seconds=next(clock)) for _ in range(0, n, DEVICES)]
        return [(euis[i % DEVICES], stamps[i // DEVICES], dict(FIELDS)) for i in range(n)]

    def store_bulk() -> None:
        inputs = round_inputs(BULK_N)
        for start in range(0, BULK_N, BATCH):
            batch = [StatusUpdate(e, ts, f) for e, ts, f in inputs[start : start + BATCH]]
            result = store.bulk_update(batch)
            assert result.applied == len(batch), result

    def raw_bulk() -> None:
        inputs = round_inputs(BULK_N)
        for start in range(0, BULK_N, BATCH):
            now = datetime.now(UTC)
            ops = [_raw_op(UpdateOne, e, ts, f, now) for e, ts, f in inputs[start : start + BATCH]]
            result = raw.bulk_write(ops, ordered=False)
            assert result.matched_count + result.upserted_count == len(ops)

    def store_single() -> None:
        for eui, stamp, fields in round_inputs(UPDATE_N):
            store.update(eui, timestamp=stamp, **fields)

    def raw_single() -> None:
        for eui, stamp, fields in round_inputs(UPDATE_N):
            millis = (stamp - EPOCH) // MILLISECOND
            raw.update_one(
                {"_id": eui, "timestamp_ms": {"$lt": millis}},
                {
                    "$set": {
                        **fields,
                        "timestamp": stamp,
                        "timestamp_ms": millis,
                        "updated_at": datetime.now(UTC),
                    }
                },
                upsert=True,
            )

    # Warm up: create every document in both collections, so timed rounds measure updates.
    store_bulk()
    raw_bulk()
    _compare("mongodb.status_bulk_update", store_bulk, raw_bulk, BULK_N, repeat=5)
    _compare("mongodb.status_update", store_single, raw_single, UPDATE_N, repeat=5)


def _raw_op(
    update_one: Any, eui: str, stamp: datetime, fields: dict[str, Any], now: datetime
) -> Any:
    millis = (stamp - EPOCH) // MILLISECOND
    return update_one(
        {"_id": eui, "timestamp_ms": {"$lt": millis}},
        {"$set": {**fields, "timestamp": stamp, "timestamp_ms": millis, "updated_at": now}},
        upsert=True,
    )


def _compare(
    name: str, subject: Callable[[], None], baseline: Callable[[], None], n: int, *, repeat: int
) -> None:
    subject_time, baseline_time = interleaved(subject, baseline, repeat=repeat)
    store_rate, raw_rate = n / subject_time, n / baseline_time
    report(
        name,
        store_rate / raw_rate,
        ">=0.8",
        store=f"{store_rate:.0f}/s",
        raw=f"{raw_rate:.0f}/s",
        n=n,
    )


if __name__ == "__main__":
    main()
