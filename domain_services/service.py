"""Domain services: the only code that reads and writes a domain's data.

`ModelService` gives a Django model the standard operations (get, get_many, list, create,
update, delete) that return frozen dataclass DTOs, never model instances or querysets. Writes run
in a transaction, call `full_clean()`, and start side effects only after commit.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import Q, QuerySet

from domain_services import events
from domain_services.dto import dto_to_dict
from domain_services.errors import Conflict, NotFound, ValidationFailed, messages_by_field
from domain_services.interfaces.declaration import ResourceSpec
from domain_services.page import Page
from domain_services.reference_policies import (
    DeletionPlan,
    deletion_plan,
    guard_delete,
    remote_reference_labels,
)
from domain_services.uuids import parse_uuid, parse_uuids

M = TypeVar("M", bound=models.Model)
D = TypeVar("D")

READ_ONLY = frozenset({"uuid", "created_at", "updated_at"})


class BaseService:
    """Base of every domain service: knows its domain and runs side effects after commit."""

    domain: ClassVar[str] = ""
    db_alias: ClassVar[str | None] = None

    def on_commit(self, fn: Callable[[], object]) -> None:
        """Run `fn` after the current transaction commits; never if it rolls back."""
        transaction.on_commit(fn, using=self.db_alias)


class ModelService(BaseService, Generic[M, D]):
    """Standard operations on one model, returning DTOs of type `dto`.

    Subclasses set `model` and either `declaration` (a resource of the domain's interface,
    `Facilities.rooms`, from which the DTO, domain, filters, orderings, search fields and page
    limits come) or `dto` and those settings themselves. Each DTO field is read from the model
    field of the same name, or from the lookup `dto_sources` gives
    (`{"building": "floor__building__uuid"}`); a ForeignKey inside the domain is carried as the
    related object's UUID. Override `to_dto` for anything else (it then runs per object instead
    of the faster column path).
    """

    model: ClassVar[type[Any]]
    dto: ClassVar[type[Any]]
    declaration: ClassVar[ResourceSpec[Any] | None] = None
    filter_fields: ClassVar[Collection[str]] = ()
    ordering_fields: ClassVar[Collection[str]] = ()
    search_fields: ClassVar[Collection[str]] = ()
    default_ordering: ClassVar[Sequence[str]] = ("pk",)
    dto_sources: ClassVar[Mapping[str, str]] = {}
    default_page_size: ClassVar[int] = 50
    max_page_size: ClassVar[int] = 500
    writable_fields: ClassVar[Collection[str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("declaration")
        if spec is None:
            return
        # Declared once, in the interface: everything the service needs to know comes from it.
        cls.dto = spec.dto
        cls.filter_fields = tuple(spec.filters)
        cls.ordering_fields = spec.ordering
        cls.search_fields = spec.search
        cls.default_page_size = spec.page_size
        cls.max_page_size = spec.max_page_size
        if spec.interface is not None and not cls.__dict__.get("domain"):
            cls.domain = spec.interface.domain

    # -- reads -------------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[M]:
        """All objects this service may see; narrow it in a subclass for scoping."""
        return self.model._default_manager.using(self._read_alias()).all()

    def get(self, uuid: UUID | str) -> D:
        """The object with this UUID, or NotFound."""
        key = parse_uuid(uuid)
        found = self.dtos(self.get_queryset().filter(uuid=key))
        if not found:
            raise NotFound(f"{self._label()} {key} does not exist.", uuid=key)
        return found[0]

    def get_many(self, uuids: Iterable[UUID | str]) -> dict[UUID, D]:
        """The objects with these UUIDs that exist, keyed by UUID, in one query."""
        keys = parse_uuids(uuids)
        if not keys:
            return {}
        return {dto.uuid: dto for dto in self.dtos(self.get_queryset().filter(uuid__in=keys))}  # type: ignore[attr-defined]

    def list(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] | str | None = None,
        page: int = 1,
        page_size: int | None = None,
        search: str | None = None,
    ) -> Page[D]:
        """One page of objects matching `filters` (equality; a list value means "any of") and
        `search` (text any of `search_fields` contains, ignoring case)."""
        if page_size is None:
            page_size = self.default_page_size
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValidationFailed.for_field("page", "Must be a whole number >= 1.")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValidationFailed.for_field("page_size", "Must be a whole number >= 1.")
        if page_size > self.max_page_size:
            raise ValidationFailed.for_field("page_size", f"Must be at most {self.max_page_size}.")
        queryset = self.get_queryset().filter(**self._filter_lookups(filters or {}))
        if search:
            queryset = queryset.filter(self._search(search))
        queryset = queryset.order_by(*self._ordering(ordering))
        total = queryset.count()
        start = (page - 1) * page_size
        items = self.dtos(queryset[start : start + page_size]) if start < total else []
        return Page(items=tuple(items), total=total, page=page, page_size=page_size)

    def find(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] | str | None = None,
    ) -> builtins.list[D]:
        """Every object matching `filters`, unpaged, in one query (for bounded sets)."""
        queryset = self.get_queryset().filter(**self._filter_lookups(filters or {}))
        return self.dtos(queryset.order_by(*self._ordering(ordering)))

    def to_dto(self, obj: M) -> D:
        """Convert one model instance to the DTO."""
        values = {}
        for name in self._dto_field_names():
            value = getattr(obj, name)
            if isinstance(value, models.Model):
                value = value.uuid  # type: ignore[attr-defined]
            values[name] = value
        return self.dto(**values)

    # -- writes ------------------------------------------------------------------------------

    def create(self, **fields: Any) -> D:
        """Validate and store a new object; `after_create(dto)` runs after commit."""
        values = self._writable_values(self.clean_input(dict(fields)))
        self.validate_references(dict(values), current=None)
        with self._atomic():
            obj = self.model(**values)
            self._save(obj, created=True)
            dto = self._refetch(obj)
            self.on_commit(lambda: self.after_create(dto))
            created = events.ObjectCreated(self._target(), dto.uuid, data=dto_to_dict(dto))  # type: ignore[attr-defined]
            events.publish_many(self.change_events([created]), using=self._write_alias())
        return dto

    def update(self, uuid: UUID | str, **fields: Any) -> D:
        """Change the given fields of one object; `after_update(dto)` runs after commit."""
        key = parse_uuid(uuid)
        values = self._writable_values(self.clean_input(dict(fields)))
        current = self._stored_values(key)
        changes = {
            name: value
            for name, value in values.items()
            if getattr(value, "pk", value) != current.get(name)
        }
        if changes:
            self.validate_references(changes, current=current)
        with self._atomic():
            obj = self._get_for_update(key)
            for name, value in values.items():
                setattr(obj, name, value)
            self._save(obj, created=False)
            dto = self._refetch(obj)
            self.on_commit(lambda: self.after_update(dto))
            updated = events.ObjectUpdated(
                self._target(), key, changed=tuple(changes), data=dto_to_dict(dto)
            )
            events.publish_many(self.change_events([updated]), using=self._write_alias())
        return dto

    def delete(self, uuid: UUID | str) -> None:
        """Delete one object and what it cascades to; other domains hear of each removed object
        through `events.ObjectDeleted`.

        Every object the deletion would remove (Django's cascade inside this domain included)
        is checked for PROTECT references: domains served elsewhere are asked first, in one
        batch each, outside the transaction and its row locks; this process inside it.
        """
        key = parse_uuid(uuid)
        if self._remote_referrers():
            guard_delete(self._plan(self._get(key)).targets, local=False)
        with self._atomic():
            obj = self._get_for_update(key)
            dto = self._refetch(obj)
            self.before_delete(dto)
            plan = self._plan(obj)
            guard_delete(plan.targets, remote=False)
            plan.delete()
            self.on_commit(lambda: self.after_delete(dto))
            events.publish_many(self.change_events(plan.events()), using=self._write_alias())

    def ensure_deletable(self, uuid: UUID | str) -> None:
        """Raise Conflict if `delete(uuid)` would be refused (a protected reference, a rule)."""
        obj = self._get(parse_uuid(uuid))
        self.before_delete(self._refetch(obj))
        guard_delete(self._plan(obj).targets)

    # -- hooks for subclasses ----------------------------------------------------------------

    def clean_input(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Normalise incoming field values before anything else (e.g. upper-case a code)."""
        return fields

    def validate_references(
        self, changes: dict[str, Any], *, current: Mapping[str, Any] | None
    ) -> None:
        """Check what this write changes against other domains; raise ValidationFailed.

        Runs before the write transaction opens, so a call to another service holds no row
        lock; `changes` holds only the fields whose value differs from the stored one (all of
        them on create, where `current` is None), so an update that changes no reference makes
        no remote call. `current` is the stored object, field by field (a relation as its key).
        """

    def validate(self, obj: M, *, created: bool) -> None:
        """Rules beyond the model's own; raise ValidationFailed. Runs in the transaction."""

    def before_delete(self, dto: D) -> None:
        """Raise Conflict here to refuse a deletion. Runs in the transaction."""

    def after_create(self, dto: D) -> None:
        """Side effect after a create commits."""

    def after_update(self, dto: D) -> None:
        """Side effect after an update commits."""

    def after_delete(self, dto: D) -> None:
        """Side effect after a delete commits."""

    def change_events(
        self, found: Sequence[events.ObjectEvent]
    ) -> builtins.list[events.ObjectEvent]:
        """The events announcing one write: `found`, plus what a subclass adds (objects of this
        domain whose DTO the write changed too, a room's label when its floor is renamed).
        Runs in the write's transaction: they commit with it, in the outbox when it has one."""
        return list(found)

    # -- internals ---------------------------------------------------------------------------

    def _plan(self, obj: M) -> DeletionPlan:
        return deletion_plan(obj, domain=self.domain or None, using=self._write_alias())

    def _remote_referrers(self) -> bool:
        """Does a domain served elsewhere refer to a model of this service's app?"""
        app = f"{self.domain or self.model._meta.app_label}.".lower()
        return any(label.startswith(app) for label in remote_reference_labels())

    def _get(self, key: UUID) -> M:
        try:
            return self.model._default_manager.using(self._write_alias()).get(uuid=key)
        except ObjectDoesNotExist:
            raise NotFound(f"{self._label()} {key} does not exist.", uuid=key) from None

    def _label(self) -> str:
        return str(self.model._meta.verbose_name).capitalize()

    def _target(self) -> str:
        return f"{self.domain or self.model._meta.app_label}.{self.model.__name__}"

    def _read_alias(self) -> str:
        return self.db_alias or router.db_for_read(self.model) or "default"

    def _write_alias(self) -> str:
        return self.db_alias or router.db_for_write(self.model) or "default"

    def on_commit(self, fn: Callable[[], object]) -> None:
        transaction.on_commit(fn, using=self._write_alias())

    def _atomic(self) -> transaction.Atomic:
        return transaction.atomic(using=self._write_alias())

    def _get_for_update(self, key: UUID) -> M:
        try:
            return (
                self.model._default_manager.using(self._write_alias())
                .select_for_update()
                .get(uuid=key)
            )
        except ObjectDoesNotExist:
            raise NotFound(f"{self._label()} {key} does not exist.", uuid=key) from None

    def _save(self, obj: M, *, created: bool) -> None:
        try:
            obj.full_clean()
        except DjangoValidationError as exc:
            messages = messages_by_field(exc)
            if _only_uniqueness(exc):
                raise Conflict(
                    f"{self._label()} conflicts with an existing one: "
                    + "; ".join(f"{f}: {' '.join(m)}" for f, m in messages.items()),
                    errors=messages,
                ) from exc
            raise ValidationFailed(messages) from exc
        self.validate(obj, created=created)
        try:
            # A savepoint keeps the outer transaction usable after an IntegrityError.
            with transaction.atomic(using=self._write_alias()):
                obj.save(using=self._write_alias())
        except IntegrityError as exc:
            raise Conflict(f"{self._label()} conflicts with existing data: {exc}") from exc

    def _refetch(self, obj: M) -> D:
        if self._custom_to_dto():
            return self.to_dto(obj)
        return self.dtos(self.get_queryset().using(self._write_alias()).filter(pk=obj.pk))[0]

    def _stored_values(self, key: UUID) -> dict[str, Any]:
        """The stored row by field name (a relation as its primary key), before a write."""
        fields = self.model._meta.concrete_fields
        row = (
            self.model._default_manager.using(self._write_alias())
            .filter(uuid=key)
            .values(*(f.attname for f in fields))
            .first()
        )
        if row is None:
            raise NotFound(f"{self._label()} {key} does not exist.", uuid=key)
        return {f.name: row[f.attname] for f in fields}

    def dtos(self, queryset: QuerySet[M]) -> builtins.list[D]:
        """DTOs for a queryset of this model, in one query (for domain-specific selectors)."""
        if self._custom_to_dto():
            return [self.to_dto(obj) for obj in queryset]
        # Columns come in the DTO's field order, so rows fill DTOs positionally (the fast path).
        _, columns = self._columns()
        dto = self.dto
        return [dto(*row) for row in queryset.values_list(*columns)]

    def _custom_to_dto(self) -> bool:
        cls = type(self)
        cached = cls.__dict__.get("_custom_to_dto_cache")
        if cached is None:
            cached = cls.to_dto is not ModelService.to_dto or self._columns_or_none() is None
            cls._custom_to_dto_cache = cached  # type: ignore[attr-defined]
        return bool(cached)

    def _columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        columns = self._columns_or_none()
        assert columns is not None
        return columns

    def _columns_or_none(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """DTO field names and the column lookups that fill them, when all are plain columns."""
        cls = type(self)
        if "_columns_cache" not in cls.__dict__:
            cls._columns_cache = self._plan_columns()  # type: ignore[attr-defined]
        return cls.__dict__["_columns_cache"]

    def _plan_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if any(not f.init or f.kw_only for f in dataclasses.fields(self.dto)):
            return None  # such DTOs cannot be filled positionally
        names = self._dto_field_names()
        lookups: builtins.list[str] = []
        for name in names:
            if name in self.dto_sources:
                lookups.append(self.dto_sources[name])
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            if field.many_to_many or field.one_to_many:
                return None
            lookups.append(f"{name}__uuid" if field.is_relation else name)
        return names, tuple(lookups)

    def _dto_field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.dto))

    def _writable_values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        allowed = self._writable_field_names()
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValidationFailed({name: ["Unknown or read-only field."] for name in unknown})
        values = {}
        for name, value in fields.items():
            field = self.model._meta.get_field(name)
            if field.is_relation and value is not None and not isinstance(value, models.Model):
                value = self._resolve_related(field, name, value)
            elif isinstance(field, models.UUIDField) and value is not None:
                value = parse_uuid(value, field=name)
            values[name] = value
        return values

    def _writable_field_names(self) -> set[str]:
        if self.writable_fields is not None:
            return set(self.writable_fields)
        return {
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable
            and not f.primary_key
            and f.name not in ("uuid", "created_at", "updated_at")
        }

    def _resolve_related(self, field: Any, name: str, value: Any) -> models.Model:
        key = parse_uuid(value, field=name)
        related = field.related_model
        try:
            return related._default_manager.using(self._write_alias()).get(uuid=key)
        except ObjectDoesNotExist:
            label = str(related._meta.verbose_name)
            raise ValidationFailed.for_field(name, f"No {label} with UUID {key}.") from None

    def _filter_lookups(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        allowed = set(self.filter_fields)
        lookups: dict[str, Any] = {}
        for name, value in filters.items():
            if name not in allowed:
                raise ValidationFailed.for_field(
                    "filters", f"Cannot filter on {name!r}; allowed: {sorted(allowed)}."
                )
            field = self.model._meta.get_field(name)
            is_uuid = field.is_relation or isinstance(field, models.UUIDField)
            column = f"{name}__uuid" if field.is_relation else name
            if isinstance(value, list | tuple | set | frozenset):
                lookups[f"{column}__in"] = (
                    parse_uuids(value, field=name) if is_uuid else list(value)
                )
            else:
                lookups[column] = (
                    parse_uuid(value, field=name) if is_uuid and value is not None else value
                )
        return lookups

    def _search(self, text: object) -> Q:
        if not isinstance(text, str) or len(text) > 200:
            raise ValidationFailed.for_field("search", "Must be text of at most 200 characters.")
        if not self.search_fields:
            raise ValidationFailed.for_field("search", f"{self._label()} cannot be searched.")
        query = Q()
        for name in self.search_fields:
            column = self.dto_sources.get(name)
            if column is None:
                column = f"{name}__uuid" if self.model._meta.get_field(name).is_relation else name
            query |= Q(**{f"{column}__icontains": text})
        return query

    def _ordering(self, ordering: Sequence[str] | str | None) -> builtins.list[str]:
        if ordering is None:
            return list(self.default_ordering)
        keys = [ordering] if isinstance(ordering, str) else list(ordering)
        allowed = set(self.ordering_fields)
        for key in keys:
            if not isinstance(key, str) or key.lstrip("-") not in allowed:
                raise ValidationFailed.for_field(
                    "ordering", f"Cannot order by {key!r}; allowed: {sorted(allowed)}."
                )
        return [*keys, "pk"]  # pk breaks ties so pages never overlap


def _only_uniqueness(exc: DjangoValidationError) -> bool:
    errors = [e for errs in getattr(exc, "error_dict", {}).values() for e in errs]
    return bool(errors) and all(e.code in ("unique", "unique_together") for e in errors)
