"""What each shape of a status upsert costs the MongoDB server (nx-27017 here), per operation.

Not part of `make bench` (it measures a server, not the library against a baseline): run
`python -m benchmarks.upsert_shapes` (`MONGODB_URL` for another server; server CPU is read
from /proc only for the nx-27017 it starts). 20,000 operations over 1,000 existing devices in
unordered bulk writes of 1,000, the shapes interleaved, the median of the rounds.

- `plain`: `{_id}` filter, `$set` of the device's fields and `timestamp`: the hand-written
  consumer's shape. No last-write-wins: an older status arriving later overwrites a newer one.
- `plain_store_fields`: the same with the store's fields (`timestamp_ms`, `updated_at`), to
  tell the cost of the fields from the cost of the condition.
- `conditional_upsert`: the store's shape, `{_id, timestamp_ms: {$lt: t}}` with `upsert`: last
  write wins in one round trip; a stale update ends in a duplicate-key error.
- `conditional_update`: the same filter without `upsert` (a device's first status would need a
  separate insert); a stale update matches nothing.
- `stale_conditional_upsert`: the store's shape when every update is older than what is
  stored (a replay after a crash): the server answers each with a duplicate-key error, and the
  store asks once more (a first insert may have raced with another writer's).
- `pipeline`: `{_id}` filter and an aggregation-pipeline update that keeps the stored fields
  unless the new timestamp is newer (MongoDB 4.2+). nx-27017 refuses it.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import MongoClient, UpdateOne
from pymongo.errors import BulkWriteError, OperationFailure

from domain_services.testing.mongodb import MongoWireServer

N, DEVICES, BATCH, ROUNDS = 20_000, 1_000, 1_000, int(os.environ.get("ROUNDS", "3"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fields(n: int) -> dict[str, Any]:
    return {"battery": n % 101, "signal": -(n % 120), "firmware": "1.4.2", "readings": {"seq": n}}


def millis(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def plain(eui: str, n: int, at: datetime, now: datetime) -> UpdateOne:
    return UpdateOne({"_id": eui}, {"$set": {**fields(n), "timestamp": at}}, upsert=True)


def plain_store_fields(eui: str, n: int, at: datetime, now: datetime) -> UpdateOne:
    update = {**fields(n), "timestamp": at, "timestamp_ms": millis(at), "updated_at": now}
    return UpdateOne({"_id": eui}, {"$set": update}, upsert=True)


def conditional(eui: str, n: int, at: datetime, now: datetime, upsert: bool = True) -> UpdateOne:
    update = {**fields(n), "timestamp": at, "timestamp_ms": millis(at), "updated_at": now}
    return UpdateOne({"_id": eui, "timestamp_ms": {"$lt": millis(at)}}, {"$set": update}, upsert)


def conditional_update(eui: str, n: int, at: datetime, now: datetime) -> UpdateOne:
    return conditional(eui, n, at, now, upsert=False)


def pipeline(eui: str, n: int, at: datetime, now: datetime) -> UpdateOne:
    new = {**fields(n), "timestamp": at, "timestamp_ms": millis(at), "updated_at": now}
    newer = {"$lt": [{"$ifNull": ["$timestamp_ms", -1]}, millis(at)]}
    keep_or_set = {"$cond": [newer, {"$mergeObjects": ["$$ROOT", new]}, "$$ROOT"]}
    return UpdateOne({"_id": eui}, [{"$replaceWith": keep_or_set}], upsert=True)


SHAPES: dict[str, Callable[..., UpdateOne]] = {
    "plain": plain,
    "plain_store_fields": plain_store_fields,
    "conditional_upsert": conditional,
    "conditional_update": conditional_update,
    "stale_conditional_upsert": conditional,
    "pipeline": pipeline,
}


def server_cpu(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    with open(f"/proc/{pid}/stat") as stat:
        parts = stat.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def run(collection: Any, shape: str, pid: int | None) -> tuple[float, int, str]:
    """Server CPU seconds per operation, the number of write errors and the first one."""
    start = datetime.now(UTC) - timedelta(hours=12)
    # Stored statuses: from a day before the updates, or a day after them for the stale run.
    stored_at = start + timedelta(days=2 if shape.startswith("stale") else -1)
    collection.bulk_write(
        [plain_store_fields(f"B{d:015X}", d, stored_at, stored_at) for d in range(DEVICES)]
    )
    make = SHAPES[shape]
    before, errors, first_error = server_cpu(pid), 0, ""
    for first in range(0, N, BATCH):
        now = datetime.now(UTC)
        ops = [
            make(f"B{n % DEVICES:015X}", n, start + timedelta(seconds=n), now)
            for n in range(first, first + BATCH)
        ]
        try:
            collection.bulk_write(ops, ordered=False)
        except BulkWriteError as exc:
            failed = [e["index"] for e in exc.details["writeErrors"]]
            errors += len(failed)
            first_error = first_error or str(exc.details["writeErrors"][0].get("errmsg"))
            if shape.startswith("stale"):  # the store's one retry of a duplicate key
                with contextlib.suppress(BulkWriteError):
                    collection.bulk_write([ops[i] for i in failed], ordered=False)
    return (server_cpu(pid) - before) / N, errors, first_error


def main() -> int:
    url = os.environ.get("MONGODB_URL")
    server = None if url else MongoWireServer()
    if server is not None:
        server.start()
        url = server.url
    pid = server._process.pid if server is not None and server._process else None
    client: MongoClient[dict[str, Any]] = MongoClient(url, tz_aware=True)
    results: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    notes: dict[str, str] = {}
    try:
        for round_ in range(ROUNDS):
            for shape in SHAPES:
                database = client[f"shapes_{round_}_{shape}"]
                try:
                    per_op, errors, first_error = run(database["device_status"], shape, pid)
                except OperationFailure as exc:
                    notes[shape] = f"refused: {str(exc)[:100]}"
                else:
                    if errors == N and not shape.startswith("stale"):
                        notes[shape] = f"refused, every operation: {first_error[:100]}"
                    else:
                        results[shape].append(per_op)
                        notes[shape] = f"{errors} write errors a run"
                client.drop_database(database.name)
        for shape, values in results.items():
            figure = f"{statistics.median(values) * 1e6:6.0f} us/op" if values else "     -"
            print(f"{shape:26s} {figure}  ({notes.get(shape, '')})", flush=True)
    finally:
        client.close()
        if server is not None:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
