"""One row per handler run: counting them proves each event was applied once, no more, no less."""

from django.db import models
from django.utils import timezone


class Effect(models.Model):
    """A handler ran for event `event_id` (deliberately not unique: duplicates would show)."""

    event_id = models.UUIDField(db_index=True)
    entry = models.UUIDField()
    sequence = models.BigIntegerField(null=True)
    applied_at = models.DateTimeField(default=timezone.now)  # for the lag benchmark

    def __str__(self) -> str:
        return f"{self.event_id} {self.entry}"
