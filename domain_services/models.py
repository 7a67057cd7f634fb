"""The base for skinny domain models, and the library's own tables (the events outbox and inbox)."""

from __future__ import annotations

import uuid

from django.db import models


class DomainModel(models.Model):
    """An abstract model with a cross-domain UUID and created/updated timestamps.

    The integer primary key stays underneath for fast joins inside the domain; the `uuid` is
    what other domains store in their `UUIDReference` fields and what the API exposes.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


# The library's own tables, defined with the events they carry.
from domain_services.events.models import InboxEvent, OutboxEvent  # noqa: E402

__all__ = ["DomainModel", "InboxEvent", "OutboxEvent"]
