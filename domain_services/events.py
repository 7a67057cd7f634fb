"""Domain events, delivered after the transaction that caused them commits.

A service announces what happened (`ObjectDeleted`, ...); other domains in this process react
without the owner knowing them. Handlers never run for a rolled-back transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[Any], object]
_handlers: dict[type, list[Handler]] = defaultdict(list)


@dataclass(frozen=True, slots=True)
class ObjectCreated:
    """An object was created; `target` is `"domain.Model"`."""

    target: str
    uuid: UUID


@dataclass(frozen=True, slots=True)
class ObjectUpdated:
    """An object was updated."""

    target: str
    uuid: UUID


@dataclass(frozen=True, slots=True)
class ObjectDeleted:
    """An object was deleted; referring domains apply their `UUIDReference` policy."""

    target: str
    uuid: UUID


def subscribe(event_type: type, handler: Handler) -> Handler:
    """Call `handler(event)` for every published event of `event_type`."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)
    return handler


def unsubscribe(event_type: type, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def publish(event: object, *, using: str | None = None) -> None:
    """Deliver `event` once the current transaction on `using` commits (now, outside one)."""
    transaction.on_commit(lambda: dispatch(event), using=using)


def dispatch(event: object) -> None:
    """Deliver `event` now. A failing handler is logged and does not stop the others."""
    for handler in list(_handlers[type(event)]):
        try:
            handler(event)
        except Exception:
            logger.exception("Handler %r failed for %r", handler, event)
