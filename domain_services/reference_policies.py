"""Applying `UUIDReference` policies when referenced objects are deleted.

A deletion removes more than the object asked for: Django cascades it inside its own domain (a
building takes its floors and rooms with it). `deletion_plan` gathers that whole set the way
Django's deletion collector does, keyed by `"domain.Model"` label, and `guard_delete` refuses the
deletion when a PROTECT reference points at any object of the set: references in this process
(one query per referring field), and references held by domains served elsewhere that
`DOMAIN_SERVICES` says refer to one of the models (`REFERS_TO`), asked in one batch per domain.
A domain that cannot answer makes the deletion wait (`Unavailable`).

After commit, `ObjectDeleted` for every removed object reaches `apply_delete_policies`, which
cascades or nulls the referrers in this process: at once when the owner runs here, from the
owner's outbox through `manage.py consume_events` when it runs elsewhere. What it removes or
changes is announced in turn (`ObjectDeleted`, `ObjectUpdated`), so policies chain across
domains. `policy_targets` names what this process must hear about.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import models, router, transaction
from django.db.models import Count
from django.db.models.deletion import Collector, ProtectedError, RestrictedError

from domain_services import events
from domain_services.errors import Conflict
from domain_services.events import ObjectDeleted, ObjectUpdated
from domain_services.references import OnDelete, UUIDReference

logger = logging.getLogger(__name__)

Targets = Mapping[str, Collection[UUID]]
"""Objects about to be deleted: `"domain.Model"` label -> their UUIDs."""


@dataclass(frozen=True, slots=True)
class ProtectedReference:
    """A PROTECT reference that blocks a deletion: `referrer` points `count` times at `uuid`."""

    target: str  # "facilities.Room"
    uuid: UUID
    referrer: str  # "devices.Device.room"
    count: int = 1

    def __str__(self) -> str:
        times = "once" if self.count == 1 else f"{self.count} times"
        return f"{self.target} {self.uuid} is referred to by {self.referrer} ({times})"


def references_to(target: str) -> list[tuple[type[models.Model], UUIDReference]]:
    """Every installed (model, field) with a UUIDReference to `target` (`"domain.Model"`)."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, UUIDReference) and field.to.lower() == target.lower():
                found.append((model, field))
    return found


def _referrers(
    model: type[models.Model], field: UUIDReference, uuids: Collection[object]
) -> models.QuerySet:
    alias = router.db_for_write(model) or "default"
    return model._default_manager.db_manager(alias).filter(**{f"{field.attname}__in": uuids})


# -- what a deletion removes -------------------------------------------------------------------


class _FullCollector(Collector):
    """Django's deletion collector, with every cascaded row loaded (no fast deletes).

    A fast delete removes rows without reading them, so their UUIDs would never be asked about;
    the admin's `NestedObjects` makes the same trade for its confirmation page.
    """

    def can_fast_delete(self, *args: Any, **kwargs: Any) -> bool:
        return False


def model_label(model: type[models.Model], *, domain: str | None = None) -> str:
    """`"domain.Model"` for `model`: `domain` names its app's domain when it differs."""
    return f"{domain or model._meta.app_label}.{model.__name__}"


@dataclass
class DeletionPlan:
    """Everything one deletion removes, collected before it runs; `delete()` carries it out."""

    collector: Collector
    targets: dict[str, list[UUID]]

    def delete(self) -> None:
        self.collector.delete()

    def events(self) -> list[ObjectDeleted]:
        """One `ObjectDeleted` per removed object that other domains can refer to."""
        return [
            ObjectDeleted(label, uuid) for label, uuids in self.targets.items() for uuid in uuids
        ]


def deletion_plan(obj: models.Model, *, domain: str | None = None, using: str) -> DeletionPlan:
    """The objects deleting `obj` removes (itself and its cascade), keyed by model label.

    `domain` is the domain of `obj`'s app, used for every collected model of the same app. A
    ForeignKey inside the domain that forbids the cascade (PROTECT, RESTRICT) is a Conflict.
    """
    try:
        return _plan([obj], domain=domain, using=using)
    except (ProtectedError, RestrictedError) as exc:
        blocking = sorted({str(o) for o in list(exc.args[1])[:5]})
        raise Conflict(
            f"{model_label(type(obj), domain=domain)} {getattr(obj, 'uuid', obj.pk)} is still "
            f"referred to in its own domain ({', '.join(blocking)}) and cannot be deleted.",
            uuid=getattr(obj, "uuid", None),
        ) from exc


def _plan(objs: list[models.Model], *, domain: str | None, using: str) -> DeletionPlan:
    collector = _FullCollector(using=using)
    collector.collect(objs)
    app = objs[0]._meta.app_label
    targets: dict[str, list[UUID]] = defaultdict(list)
    for model, instances in collector.data.items():
        if not any(f.name == "uuid" for f in model._meta.concrete_fields):
            continue  # not an object another domain can refer to (a through table, say)
        label = model_label(model, domain=domain if model._meta.app_label == app else None)
        targets[label].extend(instance.uuid for instance in instances)  # type: ignore[attr-defined]
    # Sorted, so the same deletion asks the same question (the collector keeps sets).
    return DeletionPlan(collector, {label: sorted(uuids) for label, uuids in targets.items()})


# -- who protects them -------------------------------------------------------------------------


def protecting_references(targets: Targets) -> list[ProtectedReference]:
    """This process's PROTECT references that point at any of `targets`.

    One query per referring field, whatever the number of objects.
    """
    found = []
    for target, uuids in targets.items():
        if not uuids:
            continue
        for model, field in references_to(target):
            if field.on_delete is not OnDelete.PROTECT:
                continue
            rows = (
                _referrers(model, field, list(uuids))
                .order_by()
                .values(field.attname)
                .annotate(n=Count("pk"))
            )
            referrer = f"{model._meta.label}.{field.name}"
            found += [
                ProtectedReference(target, row[field.attname], referrer, row["n"]) for row in rows
            ]
    return sorted(found, key=lambda ref: (ref.target, str(ref.uuid), ref.referrer))


def remote_reference_labels() -> set[str]:
    """Every model label (lower case) some domain served elsewhere says it refers to."""
    from domain_services.registry import services  # the registry imports the service layer

    return {
        label for domain in services.domains() for label in services.backend(domain).refers_to()
    }


def remote_protecting_references(targets: Targets) -> list[ProtectedReference]:
    """PROTECT references to `targets` held by the domains served elsewhere that refer to them.

    Each such domain is asked once, about all of its targets. Raises `Unavailable` when one
    cannot be asked: a deletion it might forbid waits.
    """
    from domain_services.registry import services  # the registry imports the service layer

    wanted = {target.lower(): target for target, uuids in targets.items() if uuids}
    found = []
    for domain in services.domains():
        backend = services.backend(domain)
        labels = [wanted[label] for label in backend.refers_to() if label in wanted]
        if labels:
            found += backend.protecting_references({label: targets[label] for label in labels})
    return found


def guard_delete(targets: Targets, *, local: bool = True, remote: bool = True) -> None:
    """Raise Conflict if a PROTECT reference (in this process, elsewhere) points at `targets`.

    A deletion asks the two apart: the domains elsewhere before its transaction (no HTTP call
    while holding row locks), this process inside it.
    """
    found = protecting_references(targets) if local else []
    if remote and not found:
        found = remote_protecting_references(targets)
    if found:
        raise protected_conflict(targets, found)


def protected_conflict(targets: Targets, found: Iterable[ProtectedReference]) -> Conflict:
    """The Conflict that names every PROTECT reference blocking a deletion."""
    refs = list(found)
    shown = "; ".join(map(str, refs[:10])) + ("; ..." if len(refs) > 10 else "")
    first = refs[0]
    return Conflict(
        f"Cannot delete: {shown} (on_delete=protect).",
        uuid=first.uuid,
        referrer=first.referrer,
        references=[
            {"target": r.target, "uuid": str(r.uuid), "referrer": r.referrer, "count": r.count}
            for r in refs
        ],
    )


# -- after the deletion ------------------------------------------------------------------------


def policy_targets() -> set[str]:
    """Every model label (`"domain.Model"`) this process holds a SET_NULL or CASCADE reference
    to: the deletions it must hear about (PROTECT is checked before a deletion instead)."""
    return {
        field.to
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, UUIDReference) and field.on_delete is not OnDelete.PROTECT
    }


def apply_delete_policies(event: ObjectDeleted) -> int:
    """Cascade or null every local reference to the deleted object; returns rows changed.

    Idempotent: a second delivery of the same deletion finds nothing left to change. What it
    deletes (with Django's cascade inside the referring domain) is announced as
    `ObjectDeleted`, and each nulled referrer as `ObjectUpdated`, in the same transaction.
    """
    changed = 0
    for model, field in references_to(event.target):
        referrers = _referrers(model, field, [event.uuid])
        with transaction.atomic(using=referrers.db):
            if field.on_delete is OnDelete.CASCADE:
                changed += delete_referrers(model, list(referrers), using=referrers.db, cause=event)
            elif field.on_delete is OnDelete.SET_NULL:
                changed += null_referrers(model, field, referrers)
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


def delete_referrers(
    model: type[models.Model], objs: list[models.Model], *, using: str, cause: ObjectDeleted
) -> int:
    """Delete `objs` (referrers of `cause`'s object, with their cascade in their own domain)
    and announce each removed object; how many referrers. Call it in a transaction."""
    if not objs:
        return 0
    try:
        plan = _plan(objs, domain=None, using=using)
    except (ProtectedError, RestrictedError) as exc:
        # The referred-to object is gone already; a rule inside this domain keeps the
        # referrers. Left for `manage.py reconcile_references` and a person to decide.
        logger.error(
            "%s %s was deleted; %s refers to it with on_delete=cascade, but %s cannot be "
            "deleted here: %s",
            cause.target,
            cause.uuid,
            model._meta.label,
            ", ".join(sorted({str(o) for o in list(exc.args[1])[:5]})),
            exc.args[0],
        )
        return 0
    deleted = len(objs)
    plan.delete()
    events.publish_many(plan.events(), using=using)
    return deleted


def null_referrers(
    model: type[models.Model], field: UUIDReference, referrers: models.QuerySet
) -> int:
    """Clear `field` on `referrers` and announce each change; how many rows changed."""
    has_uuid = any(f.name == "uuid" for f in model._meta.concrete_fields)
    uuids = list(referrers.values_list("uuid", flat=True)) if has_uuid else []
    changed = referrers.update(**{field.attname: None})
    if uuids:
        label = model_label(model)
        events.publish_many(
            [ObjectUpdated(label, uuid, changed=(field.name,)) for uuid in uuids],
            using=referrers.db,
        )
    return changed
