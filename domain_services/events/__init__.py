"""Domain events: what changed, delivered after the transaction that caused it commits.

A service announces what happened (`ObjectCreated`, `ObjectUpdated`, `ObjectDeleted`); other
domains react without the owner knowing them. Two ways, one set of handlers:

- **In this process** (every domain of a modular monolith, or a domain's own process): the
  handlers subscribed here run once the transaction commits, never for a rolled-back one.
- **In other processes**: when `DOMAIN_SERVICES_EVENTS['OUTBOX']` names the event's domain,
  `publish()` also writes the event to the outbox table on the same database alias, in the
  same transaction as the change, so the change and its event commit together or not at all.
  `manage.py relay_events` publishes the outbox over MQTT and `manage.py consume_events` runs
  the same handlers in the receiving process, each event exactly once in effect (an inbox
  written in the same transaction as the handlers' writes). See docs/events.md.

An event's identity is its `target` ("domain.Model") and `uuid`; `id`, `changed`, `data`,
`occurred_at` and `sequence` describe one occurrence and take no part in equality.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid as uuid_module
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, transaction

logger = logging.getLogger(__name__)

Handler = Callable[[Any], object]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """What happened to one object of a domain; see the subclasses.

    `target` is `"domain.Model"`; `changed` names the fields an update changed; `data` is the
    object as its domain shows it (its DTO as JSON types) when the change went through a
    `ModelService`, else None; `sequence` is the event's position in its outbox (increasing
    per database, in commit order for any one object), None when it was not written to one.
    """

    action: ClassVar[str] = ""

    target: str
    uuid: UUID
    changed: tuple[str, ...] = field(default=(), compare=False)
    data: dict[str, Any] | None = field(default=None, compare=False)
    id: UUID = field(default_factory=uuid_module.uuid4, compare=False)
    occurred_at: datetime = field(default_factory=_now, compare=False)
    sequence: int | None = field(default=None, compare=False)

    @property
    def domain(self) -> str:
        return self.target.partition(".")[0]

    @property
    def entity(self) -> str:
        return self.target.partition(".")[2]


@dataclass(frozen=True, slots=True)
class ObjectCreated(ObjectEvent):
    """An object was created."""

    action: ClassVar[str] = "created"


@dataclass(frozen=True, slots=True)
class ObjectUpdated(ObjectEvent):
    """An object was updated; `changed` names the fields whose value changed."""

    action: ClassVar[str] = "updated"


@dataclass(frozen=True, slots=True)
class ObjectDeleted(ObjectEvent):
    """An object was deleted; referring domains apply their `UUIDReference` policy."""

    action: ClassVar[str] = "deleted"


EVENT_TYPES: dict[str, type[ObjectEvent]] = {
    cls.action: cls for cls in (ObjectCreated, ObjectUpdated, ObjectDeleted)
}
"""Event class by action name, as topics and payloads carry it."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """A handler for one event type, optionally of one target only (`"facilities.Room"`)."""

    event_type: type
    handler: Handler
    target: str | None = None

    def matches(self, event: object) -> bool:
        if not isinstance(event, self.event_type):
            return False
        return self.target is None or self.target.lower() == getattr(event, "target", "").lower()


_subscriptions: dict[type, list[Subscription]] = defaultdict(list)
_lock = threading.Lock()


def subscribe(event_type: type, handler: Handler, *, target: str | None = None) -> Handler:
    """Call `handler(event)` for every published event of `event_type` (of `target` only, when
    given). A handler that reads the events of another domain's objects names the `target`:
    `manage.py consume_events` subscribes to exactly those topics."""
    subscription = Subscription(event_type, handler, target)
    with _lock:
        if subscription not in _subscriptions[event_type]:
            _subscriptions[event_type].append(subscription)
    return handler


def unsubscribe(event_type: type, handler: Handler, *, target: str | None = None) -> None:
    """Stop calling `handler` for `event_type` (and `target`)."""
    with _lock:
        found = _subscriptions[event_type]
        subscription = Subscription(event_type, handler, target)
        if subscription in found:
            found.remove(subscription)


def subscriptions() -> list[Subscription]:
    """Every subscription, in the order they were made."""
    with _lock:
        return [s for found in _subscriptions.values() for s in found]


def handlers_for_type(event_type: type) -> list[Handler]:
    """The handlers subscribed to every event of `event_type` (whatever its target)."""
    with _lock:
        return [s.handler for s in _subscriptions.get(event_type, ()) if s.target is None]


def handlers_for(event: object) -> list[Handler]:
    """The handlers `event` reaches, in subscription order."""
    with _lock:
        found = [s for kind in type(event).__mro__ for s in _subscriptions.get(kind, ())]
    return [s.handler for s in found if s.matches(event)]


def publish(event: ObjectEvent, *, using: str | None = None) -> None:
    """Announce `event` as part of the current transaction on `using`; see `publish_many`."""
    publish_many([event], using=using)


def publish_many(found: Sequence[ObjectEvent], *, using: str | None = None) -> None:
    """Announce `found` as part of the current transaction on `using` (`default` if None).

    Events of a domain `DOMAIN_SERVICES_EVENTS['OUTBOX']` names are written to the outbox on
    `using` now, in the transaction (one insert for all of them), so they commit with the
    change. Every event reaches this process's handlers once the transaction commits (at once
    outside a transaction), never if it rolls back.
    """
    if not found:
        return
    alias = using or DEFAULT_DB_ALIAS
    from domain_services.events import outbox  # its models load only once apps are ready

    events = outbox.record(found, using=alias)
    transaction.on_commit(lambda: _dispatch_all(events), using=alias)


def _dispatch_all(found: Iterable[ObjectEvent]) -> None:
    for event in found:
        dispatch(event)


def dispatch(event: object) -> None:
    """Deliver `event` now. A failing handler is logged and does not stop the others."""
    for handler in handlers_for(event):
        try:
            handler(event)
        except Exception:
            logger.exception("Handler %r failed for %r", handler, event)


def handle(event: object) -> int:
    """Deliver `event` now and let a handler's exception propagate (the caller's transaction
    then rolls back, and the event is tried again); returns how many handlers ran."""
    handlers = handlers_for(event)
    for handler in handlers:
        handler(event)
    return len(handlers)


def with_sequence(event: ObjectEvent, sequence: int) -> ObjectEvent:
    """`event` with its outbox position."""
    return dataclasses.replace(event, sequence=sequence)


__all__ = [
    "EVENT_TYPES",
    "Handler",
    "ObjectCreated",
    "ObjectDeleted",
    "ObjectEvent",
    "ObjectUpdated",
    "Subscription",
    "dispatch",
    "handle",
    "handlers_for",
    "handlers_for_type",
    "publish",
    "publish_many",
    "subscribe",
    "subscriptions",
    "unsubscribe",
]
