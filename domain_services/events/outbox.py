"""The outbox: events written in the transaction of their change, until a relay publishes them.

`record` is called by `events.publish_many` inside the writer's transaction; `claim` (a round
of batches, `Claimed.next`, and `Claimed.done`) is the relay's side; `backlog` is what `/health`
reports.

Claiming differs by database, and the choice is made here once:

- **PostgreSQL**: `SELECT ... WHERE id > <last> ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED`,
  batch after batch in one transaction that stays open while they are published; the rows are
  deleted in that transaction once the broker confirmed them. Several relays share an outbox
  without publishing an event twice: each skips the rows another holds. A relay that dies
  mid-round (SIGKILL, lost connection) leaves its transaction to roll back, and the rows are
  claimed again: published at least once.
- **Other databases** (SQLite): no row locks to skip, so one relay per outbox. Batches are read
  without holding a transaction (SQLite's single writer must not wait for the broker) and
  deleted after the broker confirmed them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from django.db import connections, transaction
from django.db.models import Field

from domain_services.events import ObjectEvent, with_sequence
from domain_services.events.envelope import encode
from domain_services.events.envelope import with_sequence as payload_with_sequence
from domain_services.events.models import OutboxEvent
from domain_services.events.settings import events_config


def record(found: Sequence[ObjectEvent], *, using: str) -> list[ObjectEvent]:
    """Write the events whose domain the outbox records, in the current transaction on `using`.

    Returns the events, each written one carrying its `sequence` (its row id) when the
    database returns ids from an insert (PostgreSQL, SQLite 3.35+).
    """
    config = events_config()
    if not config.enabled:
        return list(found)
    recorded = [event for event in found if config.records(event.domain)]
    if not recorded:
        return list(found)
    sequences: dict[object, int] = {}
    for start in range(0, len(recorded), _ROWS_PER_INSERT):
        chunk = recorded[start : start + _ROWS_PER_INSERT]
        ids = _insert(chunk, using)
        if ids is not None:
            sequences.update(zip((event.id for event in chunk), ids, strict=True))
    return [
        with_sequence(event, sequences[event.id]) if event.id in sequences else event
        for event in found
    ]


# One statement per this many events (7 parameters each: within SQLite's oldest limit of 999).
_ROWS_PER_INSERT = 100
_COLUMNS = ("event_id", "domain", "entity", "action", "object_uuid", "payload", "created_at")


def _insert(chunk: Sequence[ObjectEvent], using: str) -> list[int] | None:
    """One multi-row INSERT, with RETURNING id where the database has it.

    Written by hand rather than with `bulk_create`: it is on the path of every write, and the
    ORM's per-object bookkeeping cost more than the insert itself.
    """
    connection = connections[using]
    meta = OutboxEvent._meta
    fields = [cast(Field, meta.get_field(name)) for name in _COLUMNS]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = bool(connection.features.can_return_rows_from_bulk_insert)
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))}"
    if returning:
        sql += f" RETURNING {quote('id')}"
    prepare = [field.get_db_prep_value for field in fields]
    params: list[Any] = []
    for event in chunk:
        values = (
            event.id,
            event.domain,
            event.entity,
            event.action,
            event.uuid,
            encode(event),
            event.occurred_at,
        )
        params += [to_db(value, connection) for to_db, value in zip(prepare, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [found[0] for found in cursor.fetchall()] if returning else None


@dataclass(frozen=True, slots=True)
class Backlog:
    """Unpublished events on one alias, and how long the oldest has waited (seconds)."""

    alias: str
    count: int
    oldest_age: float | None

    def as_dict(self) -> dict[str, Any]:
        age = None if self.oldest_age is None else round(self.oldest_age, 1)
        return {"backlog": self.count, "oldest_age_seconds": age}


def backlog(using: str) -> Backlog:
    """How many events wait on `using`, and the age of the oldest (by sequence)."""
    manager = OutboxEvent.objects.using(using)
    oldest = manager.order_by("id").values_list("created_at", flat=True).first()
    if oldest is None:
        return Backlog(using, 0, None)
    age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return Backlog(using, manager.count(), age)


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row, ready to publish."""

    sequence: int
    topic: str
    payload: bytes


class Claimed:
    """Outbox rows this relay holds, a batch at a time (`next`), for one round.

    On PostgreSQL the round is one transaction: every row `next` returned stays locked (other
    relays skip it) until the round ends; `done` deletes rows in that transaction, so a relay
    killed mid-round leaves all of them for the next claim. Elsewhere rows are read and
    deleted without a transaction (one relay per outbox).
    """

    def __init__(self, alias: str, *, prefix: str, lock: bool) -> None:
        self.alias = alias
        self.prefix = prefix
        self.lock = lock
        self.last = 0
        self.messages: list[Message] = []  # the batches `next` returned, in order

    def next(self, limit: int) -> list[Message]:
        """The next up to `limit` unclaimed rows, oldest first."""
        rows = OutboxEvent.objects.using(self.alias).filter(id__gt=self.last).order_by("id")
        if self.lock:
            rows = rows.select_for_update(skip_locked=True)
        found = _messages(
            list(rows.values_list("id", "domain", "entity", "action", "payload")[:limit]),
            self.prefix,
        )
        if found:
            self.last = found[-1].sequence
            self.messages += found
        return found

    def done(self, messages: Sequence[Message]) -> None:
        """The broker confirmed these: delete their rows."""
        ids = [m.sequence for m in messages]
        if not ids:
            return
        connection = connections[self.alias]
        table = connection.ops.quote_name(OutboxEvent._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One array parameter: cheaper to send and plan than a placeholder per id.
                cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
                return
            for start in range(0, len(ids), 500):  # within SQLite's variable limit
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)


def skips_locked_rows(alias: str) -> bool:
    """Can several relays share the outbox on `alias` (row locks that skip locked rows)?"""
    features = connections[alias].features
    return bool(features.has_select_for_update and features.has_select_for_update_skip_locked)


@contextlib.contextmanager
def claim(alias: str, *, prefix: str) -> Iterator[Claimed]:
    """A round of claims on `alias`'s outbox (see `Claimed`); what the block did not mark
    `done` stays for the next round, and so does everything when the block raises."""
    if skips_locked_rows(alias):
        with transaction.atomic(using=alias):
            yield Claimed(alias, prefix=prefix, lock=True)
    else:
        yield Claimed(alias, prefix=prefix, lock=False)


def _messages(rows: list[tuple[int, str, str, str, str]], prefix: str) -> list[Message]:
    return [
        Message(
            sequence,
            f"{prefix}/{domain}/{entity}/{action}",
            payload_with_sequence(payload, sequence),
        )
        for sequence, domain, entity, action, payload in rows
    ]


__all__ = [
    "Backlog",
    "Claimed",
    "Message",
    "backlog",
    "claim",
    "record",
    "skips_locked_rows",
]
