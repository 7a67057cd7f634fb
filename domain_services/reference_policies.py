"""Applying `UUIDReference` policies when a referenced object is deleted.

Before a deletion the deleting service asks `guard_delete`: a PROTECT reference in this process
(a monolith, or a domain that refers to itself) refuses it, and so does one held by a domain
served elsewhere that `DOMAIN_SERVICES` says refers to the model (`REFERS_TO`); such a domain is
asked over its backend, and the deletion is refused as `Unavailable` when it cannot answer.
After commit, `ObjectDeleted` reaches `apply_delete_policies`, which cascades or nulls the
referrers in this process.
"""

from __future__ import annotations

import logging
from uuid import UUID

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


def protecting_references(target: str, uuid: object) -> list[str]:
    """This process's PROTECT references (`"app.Model.field"`) that still point at `uuid`."""
    return [
        f"{model._meta.label}.{field.name}"
        for model, field in references_to(target)
        if field.on_delete is OnDelete.PROTECT and _referrers(model, field, uuid).exists()
    ]


def remote_protecting_references(target: str, uuid: UUID) -> list[str]:
    """PROTECT references to `uuid` held by the domains served elsewhere that refer to `target`.

    Raises `Unavailable` when one of them cannot be asked: a deletion it might forbid waits.
    """
    from domain_services.registry import services  # the registry imports the service layer

    found = []
    for domain in services.domains():
        backend = services.backend(domain)
        if target.lower() in backend.refers_to():
            found += backend.protecting_references(target, uuid)
    return found


def guard_delete(target: str, uuid: UUID, *, local: bool = True, remote: bool = True) -> None:
    """Raise Conflict if a PROTECT reference (in this process, elsewhere) points at `uuid`.

    A deletion asks the two apart: the domains elsewhere before its transaction (no HTTP call
    while holding the row lock), this process inside it.
    """
    referrers = protecting_references(target, uuid) if local else []
    if remote and not referrers:
        referrers = remote_protecting_references(target, uuid)
    if referrers:
        raise Conflict(
            f"{target} {uuid} is referred to by {', '.join(referrers)} (on_delete=protect) "
            "and cannot be deleted.",
            uuid=uuid,
            referrer=referrers[0],
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
