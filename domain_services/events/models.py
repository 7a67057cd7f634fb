"""The outbox and the inbox: the tables that make events leave a process exactly once in effect.

Both live beside the data of the domain they serve (the same database alias): an event is
written to the outbox in the transaction of the change it describes, and a received event is
recorded in the inbox in the transaction of the writes its handlers make. The library's app
carries them, so `migrate` creates them on every alias a project routes the app to
(`DomainRouter` allows them on every domain's alias).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """An event committed with its change and not yet published; the relay deletes it once
    the broker has confirmed it. `id` is the event's `sequence`."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField()
    domain = models.CharField(max_length=100)
    entity = models.CharField(max_length=100)
    action = models.CharField(max_length=16)
    object_uuid = models.UUIDField()
    #: The versioned JSON payload, without `sequence` (the relay adds it from `id`).
    payload = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "domain_services"
        db_table = "domain_services_outbox_event"
        verbose_name = "outbox event"

    def __str__(self) -> str:
        return f"#{self.id} {self.domain}.{self.entity} {self.object_uuid} {self.action}"


class InboxEvent(models.Model):
    """An event this process has received and applied (or given up on), by event id.

    A redelivered event finds its row and is not applied again. Rows older than
    `CONSUMER['INBOX_RETENTION']` are pruned by the consumer.
    """

    APPLIED = "applied"
    FAILED = "failed"  # its handlers kept failing: see `detail`; not retried
    REJECTED = "rejected"  # a handler refused it as invalid (ValidationFailed)

    event_id = models.UUIDField(primary_key=True)
    domain = models.CharField(max_length=100)
    entity = models.CharField(max_length=100)
    action = models.CharField(max_length=16)
    object_uuid = models.UUIDField()
    sequence = models.BigIntegerField(null=True)
    status = models.CharField(max_length=16, default=APPLIED)
    detail = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        app_label = "domain_services"
        db_table = "domain_services_inbox_event"
        verbose_name = "inbox event"

    def __str__(self) -> str:
        return f"{self.event_id} {self.domain}.{self.entity} {self.object_uuid} {self.status}"
