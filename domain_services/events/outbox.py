"""The outbox: events written in the transaction of their change, until a relay publishes them.

`record` is called by `events.publish_many` inside the writer's transaction; `claim` and
`Claimed.done` are the relay's side; `backlog` is what `/health` reports.

Claiming differs by database, and the choice is made here once:

- **PostgreSQL**: `SELECT ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED` in a transaction that
  stays open while the batch is published; the rows are deleted in that transaction once the
  broker confirmed them. Several relays share an outbox without publishing an event twice:
  each skips the rows another holds. A relay that dies mid-batch (SIGKILL, lost connection)
  leaves its transaction to roll back, and the rows are claimed again: published at least once.
- **Other databases** (SQLite): no row locks to skip, so one relay per outbox. The batch is read
  without holding a transaction (SQLite's single writer must not wait for the broker) and
  deleted after the broker confirmed it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, transaction

from domain_services.events import ObjectEvent, with_sequence
from domain_services.events.envelope import encode
from domain_services.events.envelope import with_sequence as payload_with_sequence
from domain_services.events.models import OutboxEvent
from domain_services.events.settings import events_config


def record(found: Sequence[ObjectEvent], *, using: str) -> list[ObjectEvent]:
    """Write the events whose domain the outbox records, in the current transaction on `using`.

    Returns the events, each written one carrying its `sequence` (its row id) when the
    database returns ids from a bulk insert (PostgreSQL, SQLite 3.35+).
    """
    config = events_config()
    if not config.enabled:
        return list(found)
    rows = [
        OutboxEvent(
            event_id=event.id,
            domain=event.domain,
            entity=event.entity,
            action=event.action,
            object_uuid=event.uuid,
            payload=encode(event),
            created_at=event.occurred_at,
        )
        for event in found
        if config.records(event.domain)
    ]
    if not rows:
        return list(found)
    OutboxEvent.objects.using(using).bulk_create(rows)
    sequences = {row.event_id: row.id for row in rows if row.id is not None}
    return [
        with_sequence(event, sequences[event.id]) if event.id in sequences else event
        for event in found
    ]


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
    """A batch of outbox rows this relay holds; `done()` deletes them once published."""

    def __init__(self, alias: str, messages: list[Message]) -> None:
        self.alias = alias
        self.messages = messages
        self._done = False

    def done(self) -> None:
        """The broker confirmed every message: delete the rows (in the claim's transaction)."""
        ids = [m.sequence for m in self.messages]
        if ids:
            OutboxEvent.objects.using(self.alias).filter(id__in=ids).delete()
        self._done = True

    @property
    def is_done(self) -> bool:
        return self._done


def skips_locked_rows(alias: str) -> bool:
    """Can several relays share the outbox on `alias` (row locks that skip locked rows)?"""
    features = connections[alias].features
    return bool(features.has_select_for_update and features.has_select_for_update_skip_locked)


@contextlib.contextmanager
def claim(alias: str, *, limit: int, prefix: str) -> Iterator[Claimed]:
    """Hold up to `limit` of the oldest outbox rows on `alias` while the block publishes them.

    The block calls `done()` once the broker confirmed every message; if it raises, or leaves
    without `done()`, the rows stay for the next claim.
    """
    if skips_locked_rows(alias):
        with transaction.atomic(using=alias):
            rows = list(
                OutboxEvent.objects.using(alias)
                .select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", "domain", "entity", "action", "payload")[:limit]
            )
            claimed = Claimed(alias, _messages(rows, prefix))
            yield claimed
    else:
        rows = list(
            OutboxEvent.objects.using(alias)
            .order_by("id")
            .values_list("id", "domain", "entity", "action", "payload")[:limit]
        )
        claimed = Claimed(alias, _messages(rows, prefix))
        yield claimed


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
