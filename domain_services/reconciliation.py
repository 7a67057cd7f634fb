"""Reconciliation: references to objects that no longer exist in their owning domain.

Events keep references right as objects are deleted; this repairs what events could not: a
deletion from before the outbox existed, events lost with a broker that kept no sessions, a
domain's database restored from a backup. `dangling_references` asks each owning domain about
every referenced UUID, `batch_size` at a time with one `get_many` each (never one call per row),
and `repair` applies each reference's policy to what is gone: SET_NULL clears, CASCADE deletes
(announcing it, like `apply_delete_policies`), PROTECT is only reported, since what it protected
is gone and only a person can say what the referrer should point at now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, router, transaction

from domain_services.events import ObjectDeleted
from domain_services.reference_policies import delete_referrers, null_referrers
from domain_services.references import OnDelete, UUIDReference


@dataclass
class Dangling:
    """One reference field and the UUIDs it holds that its domain no longer has."""

    model: type[models.Model]
    reference: UUIDReference
    checked: int = 0  # distinct UUIDs asked about
    missing: list[UUID] = field(default_factory=list)
    rows: int = 0  # referring rows that hold one of them
    error: str = ""  # why the domain could not be asked

    @property
    def referrer(self) -> str:
        return f"{self.model._meta.label}.{self.reference.name}"

    def __str__(self) -> str:
        policy = self.reference.on_delete.value
        head = f"{self.referrer} -> {self.reference.to} ({policy})"
        if self.error:
            return f"{head}: not checked: {self.error}"
        return (
            f"{head}: {len(self.missing)} of {self.checked} referenced objects are gone, "
            f"held by {self.rows} rows"
        )


def reference_fields() -> Iterator[tuple[type[models.Model], UUIDReference]]:
    """Every installed (model, UUIDReference field), in a stable order."""
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        for found in model._meta.concrete_fields:
            if isinstance(found, UUIDReference):
                yield model, found


def resource_for(target: str) -> Any:
    """What answers `get_many` for the objects of `target` (`"facilities.Room"`): the
    resource of the owning domain's interface whose model or DTO is named after the model."""
    from domain_services.registry import services  # the registry imports the service layer

    domain, _, model_name = target.partition(".")
    service = services.get(domain)
    wanted = model_name.lower()
    candidates: list[tuple[Any, Any]] = [(service, getattr(service, "dto", None))]
    for name, spec in getattr(service, "resources", {}).items():
        candidates.append((getattr(service, name, None), spec.dto))
    for resource, dto in candidates:
        if resource is None or not hasattr(resource, "get_many"):
            continue
        model = getattr(resource, "model", None)
        if model is not None and model.__name__.lower() == wanted:
            return resource
        if dto is not None and dto.__name__.lower() in (wanted, f"{wanted}dto"):
            return resource
    raise ImproperlyConfigured(
        f"The {domain} domain has no resource for {target}: name its DTO {model_name}DTO, or "
        "serve it with a ModelService of that model."
    )


def dangling_references(*, batch_size: int = 500) -> list[Dangling]:
    """Every reference field's UUIDs that their domain no longer has (see the module)."""
    from domain_services import errors

    found = []
    for model, ref in reference_fields():
        result = Dangling(model, ref)
        found.append(result)
        alias = router.db_for_read(model) or "default"
        holders = model._default_manager.db_manager(alias)
        uuids = (
            holders.exclude(**{f"{ref.attname}__isnull": True})
            .values_list(ref.attname, flat=True)
            .distinct()
            .order_by(ref.attname)
        )
        try:
            resource = resource_for(ref.to)
            batch: list[UUID] = []
            for uuid in uuids.iterator(chunk_size=batch_size):
                batch.append(uuid)
                if len(batch) == batch_size:
                    result.missing += _missing(resource, batch)
                    result.checked += len(batch)
                    batch = []
            if batch:
                result.missing += _missing(resource, batch)
                result.checked += len(batch)
        except (errors.DomainError, ImproperlyConfigured) as exc:
            result.error = str(exc)
            continue
        if result.missing:
            result.rows = holders.filter(**{f"{ref.attname}__in": result.missing}).count()
    return found


def _missing(resource: Any, batch: list[UUID]) -> list[UUID]:
    present = resource.get_many(batch)
    return [uuid for uuid in batch if uuid not in present]


def repair(dangling: Dangling) -> int:
    """Apply the reference's policy to the rows that hold a missing UUID; rows changed.

    PROTECT changes nothing (0): see the module docstring.
    """
    if not dangling.missing or dangling.reference.on_delete is OnDelete.PROTECT:
        return 0
    model, ref = dangling.model, dangling.reference
    alias = router.db_for_write(model) or "default"
    changed = 0
    for start in range(0, len(dangling.missing), 500):
        chunk = dangling.missing[start : start + 500]
        referrers = model._default_manager.db_manager(alias).filter(**{f"{ref.attname}__in": chunk})
        with transaction.atomic(using=alias):
            if ref.on_delete is OnDelete.CASCADE:
                cause = ObjectDeleted(ref.to, chunk[0])
                changed += delete_referrers(model, list(referrers), using=alias, cause=cause)
            else:
                changed += null_referrers(model, ref, referrers)
    return changed
