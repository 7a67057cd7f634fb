"""The inbox: received events applied exactly once in effect.

`Inbox.apply(batch)` runs the handlers of every event not yet seen and records each event's id
in the inbox table, all in one transaction on the consumer's database, the one the handlers
write to. So either an event's effects and its inbox row commit together, or neither does: a
redelivered event finds its row and changes nothing, and an event whose transaction rolled back
is applied again when it is redelivered.

What can go wrong, and what happens:

- **The database (or a domain a handler calls) is unavailable** (`OperationalError`,
  `InterfaceError`, `Unavailable`): `apply` raises `Transient`; the caller retries the batch
  later and acknowledges nothing meanwhile.
- **A handler refuses an event as invalid** (`ValidationFailed`): the event is recorded as
  `rejected` with the message and is not applied; the others are.
- **A handler fails otherwise** (a bug): the batch is retried one event at a time, and the
  failing event up to `max_attempts` times (raising `Transient` in between, so the caller backs
  off); then it is recorded as `failed` with the error, and the stream goes on.
- **Two consumers apply the same event at once** (a shared subscription after a reconnect):
  the second insert of its id violates the primary key, the second transaction rolls back and
  is retried, and then finds the event applied.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, InterfaceError, OperationalError, connections, transaction

from domain_services import errors, events
from domain_services.events import ObjectEvent
from domain_services.events.models import InboxEvent

logger = logging.getLogger(__name__)

APPLIED = "applied"
DUPLICATE = "duplicate"
IGNORED = "ignored"  # no handler in this process
REJECTED = InboxEvent.REJECTED
FAILED = InboxEvent.FAILED

_TRANSIENT = (OperationalError, InterfaceError, errors.Unavailable)
_DETAIL_LENGTH = 2000


class Transient(Exception):
    """The batch could not be applied now; try it again later (nothing was recorded)."""


class Inbox:
    """Apply received events once, on database `database` (the handlers' database)."""

    def __init__(self, *, database: str = "default", max_attempts: int = 5) -> None:
        if database not in connections:
            raise errors.ValidationFailed.for_field(
                "database", f"{database!r} is not an alias of DATABASES."
            )
        self.database = database
        self.max_attempts = max_attempts
        self._attempts: Counter[object] = Counter()

    def apply(self, batch: Sequence[ObjectEvent]) -> list[str]:
        """The outcome of each event of `batch` (`applied`, `duplicate`, `ignored`,
        `rejected`, `failed`), in order; `Transient` when the batch must be tried again."""
        outcomes = [APPLIED if events.handlers_for(e) else IGNORED for e in batch]
        wanted = [e for e, outcome in zip(batch, outcomes, strict=True) if outcome == APPLIED]
        if not wanted:
            return outcomes
        try:
            applied = self._apply_together(wanted)
        except Transient:
            raise
        except Exception:
            # One of them is poisoned: find which, one transaction per event.
            applied = {}
            for event in wanted:
                if event.id not in applied:
                    applied[event.id] = self._apply_alone(event)
        seen: set[object] = set()
        for index, event in enumerate(batch):
            if outcomes[index] == IGNORED:
                continue
            outcome = applied.get(event.id, DUPLICATE)
            outcomes[index] = DUPLICATE if event.id in seen else outcome
            seen.add(event.id)
        return outcomes

    def _apply_together(self, batch: Sequence[ObjectEvent]) -> dict[object, str]:
        for attempt in range(2):
            try:
                with transaction.atomic(using=self.database):
                    known = self._known([e.id for e in batch])
                    rows: dict[object, InboxEvent] = {}
                    for event in batch:
                        if event.id in known or event.id in rows:
                            continue
                        events.handle(event)
                        rows[event.id] = _row(event, APPLIED)
                    InboxEvent.objects.using(self.database).bulk_create(rows.values())
                return {e.id: (APPLIED if e.id in rows else DUPLICATE) for e in batch}
            except IntegrityError:
                if attempt:
                    raise
                # Another consumer recorded one of these meanwhile: read the inbox again.
            except _TRANSIENT as exc:
                self._reset_connection()
                raise Transient(str(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _apply_alone(self, event: ObjectEvent) -> str:
        try:
            return self._apply_together([event])[event.id]
        except Transient:
            raise
        except errors.ValidationFailed as exc:
            logger.warning("Event %s %s refused by a handler: %s", event.id, event.target, exc)
            return self._record(event, REJECTED, str(exc))
        except Exception as exc:
            self._attempts[event.id] += 1
            attempts = self._attempts[event.id]
            logger.exception(
                "Handler failed for event %s (%s %s %s), attempt %d of %d.",
                event.id,
                event.target,
                event.uuid,
                event.action,
                attempts,
                self.max_attempts,
            )
            if attempts < self.max_attempts:
                raise Transient(f"handler failed: {type(exc).__name__}: {exc}") from exc
            del self._attempts[event.id]
            return self._record(event, FAILED, f"{type(exc).__name__}: {exc}")

    def _record(self, event: ObjectEvent, status: str, detail: str) -> str:
        try:
            with transaction.atomic(using=self.database):
                if self._known([event.id]):
                    return DUPLICATE
                row = _row(event, status)
                row.detail = detail.replace("\0", "")[:_DETAIL_LENGTH]
                row.save(using=self.database, force_insert=True)
        except _TRANSIENT as exc:
            self._reset_connection()
            raise Transient(str(exc)) from exc
        return status

    def _known(self, ids: Sequence[object]) -> set[object]:
        return set(
            InboxEvent.objects.using(self.database)
            .filter(event_id__in=ids)
            .values_list("event_id", flat=True)
        )

    def _reset_connection(self) -> None:
        # A connection that failed may be unusable; Django opens a new one on the next query.
        connection = connections[self.database]
        if not connection.in_atomic_block:
            connection.close()

    def prune(self, *, older_than: float) -> int:
        """Delete inbox rows received more than `older_than` seconds ago; how many."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        deleted, _ = InboxEvent.objects.using(self.database).filter(received_at__lt=cutoff).delete()
        return deleted


def _row(event: ObjectEvent, status: str) -> InboxEvent:
    return InboxEvent(
        event_id=event.id,
        domain=event.domain,
        entity=event.entity,
        action=event.action,
        object_uuid=event.uuid,
        sequence=event.sequence,
        status=status,
    )
