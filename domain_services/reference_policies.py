"""Applying `UUIDReference` policies when a referenced object is deleted.

Inside one process (a monolith, or a domain that refers to itself) the deleting service asks
`guard_delete` first, so a PROTECT reference refuses the deletion in the same transaction. After
commit, `ObjectDeleted` reaches `apply_delete_policies`, which cascades or nulls the referrers.
A project that receives deletions from another service over the network calls
`apply_delete_policies` with the event it was sent.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import models, router, transaction

from domain_services.errors import Conflict
from domain_services.events import ObjectDeleted
from domain_services.references import OnDelete, UUIDReference

logger = logging.getLogger(__name__)


def references_to(target: str) -> list[tuple[type[models.Model], UUIDReference]]:
    """Every installed (model, field) with a UUIDReference to `target` (`"domain.Model"`)."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, UUIDReference) and field.to.lower() == target.lower():
                found.append((model, field))
    return found


def _referrers(model: type[models.Model], field: UUIDReference, uuid: object) -> models.QuerySet:
    alias = router.db_for_write(model) or "default"
    return model._default_manager.db_manager(alias).filter(**{field.attname: uuid})


def guard_delete(target: str, uuid: object) -> None:
    """Raise Conflict if a PROTECT reference in this process still points at `uuid`."""
    for model, field in references_to(target):
        if field.on_delete is OnDelete.PROTECT and _referrers(model, field, uuid).exists():
            raise Conflict(
                f"{target} {uuid} is referred to by {model._meta.label}.{field.name} "
                "(on_delete=protect) and cannot be deleted.",
                uuid=uuid,
                referrer=f"{model._meta.label}.{field.name}",
            )


def apply_delete_policies(event: ObjectDeleted) -> int:
    """Cascade or null every local reference to the deleted object; returns rows changed."""
    changed = 0
    for model, field in references_to(event.target):
        referrers = _referrers(model, field, event.uuid)
        with transaction.atomic(using=referrers.db):
            if field.on_delete is OnDelete.CASCADE:
                changed += referrers.delete()[0]
            elif field.on_delete is OnDelete.SET_NULL:
                changed += referrers.update(**{field.attname: None})
            elif referrers.exists():
                # PROTECT across processes cannot be enforced before the fact; make it visible.
                logger.warning(
                    "%s %s was deleted but %s.%s still refers to it (on_delete=protect)",
                    event.target,
                    event.uuid,
                    model._meta.label,
                    field.name,
                )
    return changed
