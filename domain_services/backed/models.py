"""`ServiceModel`: a Django model whose rows live in a domain, reached through its interface.

    from django.db import models
    from domain_services.backed import ServiceModel, batched_property
    from org_interfaces.devices import Devices

    class Device(ServiceModel, resource=Devices.devices):
        eui = models.CharField("EUI", max_length=16, unique=True)
        name = models.CharField(max_length=200)
        room = models.ForeignKey("Room", models.DO_NOTHING, related_name="devices")

        class Meta:
            ordering = ["name"]

The fields are the legacy model's (labels, choices, validators, uniqueness: what forms show),
each one a field of the resource's DTO; the primary key is the DTO's `uuid`. A ForeignKey
points at another service-backed model and holds its UUID. The model has no table
(`managed = False`): reads go through `ServiceManager`, writes through the owning service:

- `save()` creates or updates (only the fields that changed); the service's refusal comes back
  as Django's `ValidationError`, field by field, so a view can show it on the form
  (`SaveErrorsAsFormErrors`);
- `delete()` deletes; a refusal (a protected reference) comes back as `ProtectedError`;
- uniqueness a form checks (`unique=True`, `UniqueConstraint`) is asked of the service when
  the resource can filter on those fields, and otherwise left to the service, whose refusal
  comes back from `save()` on the same field.

A write inside `transaction.atomic()` raises `UnsupportedQuery`: the domain commits on its own,
so no transaction here can include it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import connections, models
from django.db.models import BaseConstraint, ProtectedError, UniqueConstraint
from django.db.models.base import ModelBase
from django.db.models.fields.related import lazy_related_operation  # type: ignore[attr-defined]

from domain_services.backed.binding import LOADED, MAX_ROWS, Binding
from domain_services.backed.errors import UnsupportedQuery
from domain_services.backed.queryset import ServiceManager
from domain_services.backed.relations import BATCH, BatchedForwardDescriptor
from domain_services.errors import Conflict, DomainError, NotFound, ValidationFailed
from domain_services.interfaces.declaration import ResourceSpec


class ServiceModelBase(ModelBase):
    """Makes a service-backed model: unmanaged, bound to its resource, references batched."""

    def __new__(
        mcs,
        name: str,
        bases: tuple[type, ...],
        attrs: dict[str, Any],
        resource: ResourceSpec[Any] | None = None,
        max_rows: int = MAX_ROWS,
        **kwargs: Any,
    ) -> Any:
        meta = attrs.get("Meta")
        if getattr(meta, "abstract", False):
            return super().__new__(mcs, name, bases, attrs, **kwargs)
        if not isinstance(resource, ResourceSpec) or resource.interface is None:
            raise ImproperlyConfigured(
                f"class {name}(ServiceModel, resource=...) needs the resource of an interface "
                f"it maps onto, like resource=Devices.devices; got {resource!r}."
            )
        if getattr(meta, "managed", False):
            raise ImproperlyConfigured(f"{name}: a service-backed model has no table to manage.")
        # The model's Meta (or its abstract parent's), made unmanaged, with the service
        # manager as the base manager: Django's related descriptors and validation use it.
        parent = meta if meta is not None else getattr(bases[0], "Meta", None)
        extra = {"managed": False, "base_manager_name": "objects"}
        attrs["Meta"] = type("Meta", (parent,) if parent is not None else (), extra)
        cls: Any = super().__new__(mcs, name, bases, attrs, **kwargs)
        cls._service = Binding(cls, resource, max_rows)
        _check_fields(cls, resource)
        for field in cls._meta.local_fields:
            if isinstance(field, models.ForeignKey):
                setattr(cls, field.name, BatchedForwardDescriptor(field))
                lazy_related_operation(_check_target, cls, field.remote_field.model, field=field)
        return cls


def _check_fields(cls: Any, spec: ResourceSpec[Any]) -> None:
    dto_fields = spec.field_types
    for field in cls._meta.concrete_fields:
        if field.name not in dto_fields:
            raise ImproperlyConfigured(
                f"{cls.__name__}.{field.name} is not a field of {spec.dto.__name__}: the fields "
                f"of a service-backed model are the DTO's ({sorted(dto_fields)}). Remove it, or "
                "make it a property (a batched_property when it needs a call)."
            )
    if cls._meta.local_many_to_many or cls._meta.parents:
        raise ImproperlyConfigured(
            f"{cls.__name__}: many-to-many fields and multi-table inheritance are joins, which a "
            "domain's interface cannot answer."
        )
    for key in cls._meta.ordering:
        if not isinstance(key, str) or key.lstrip("-") not in spec.ordering:
            raise ImproperlyConfigured(
                f"{cls.__name__}.Meta.ordering has {key!r}; the resource declares only "
                f"{sorted(spec.ordering)}."
            )


def _check_target(model: Any, target: Any, *, field: Any) -> None:
    if not isinstance(getattr(target, "_service", None), Binding):
        raise ImproperlyConfigured(
            f"{model.__name__}.{field.name} points at {target.__name__}, which is not a "
            "service-backed model: a reference between domains is a UUID; make the target a "
            "ServiceModel too."
        )
    if field.to_fields not in ([None], [target._meta.pk.name]):
        raise ImproperlyConfigured(
            f"{model.__name__}.{field.name}: a reference holds the target's UUID (its primary "
            "key); drop to_field."
        )


class ServiceModel(models.Model, metaclass=ServiceModelBase):
    """Base of service-backed models; see the module docstring."""

    uuid = models.UUIDField("UUID", primary_key=True, editable=False)

    objects = ServiceManager()

    _service: ClassVar[Binding]

    class Meta:
        abstract = True

    def __getstate__(self) -> dict[str, Any]:
        # A pickled object (a cache) leaves its page behind: the batch holds every row of it.
        state = super().__getstate__()
        state["_state"].__dict__.pop(BATCH, None)  # Django pickles a copy of _state
        return state

    def save(  # type: ignore[override]
        self,
        *args: Any,
        force_insert: bool = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Any = None,
    ) -> None:
        """Create or update through the owning service; its refusal as `ValidationError`."""
        binding = self._service
        spec = binding.spec
        refuse_inside_transaction(type(self), "save()")
        values = {
            field.name: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if not field.primary_key
        }
        try:
            if self._state.adding or force_insert:
                if self.pk is not None:
                    raise UnsupportedQuery(
                        type(self),
                        "save() of a new object with its UUID set",
                        f"{binding.label} chooses the UUID of what it creates.",
                        "leave uuid unset; read it from the object after save().",
                    )
                sent = {name: value for name, value in values.items() if name in spec.create_fields}
                dto = binding.resource().create(**sent)
            else:
                loaded = self.__dict__.get(LOADED, {})
                names = (
                    values if update_fields is None else [n for n in update_fields if n in values]
                )
                changed = {n: values[n] for n in names if n not in loaded or loaded[n] != values[n]}
                refused = sorted(set(changed) - set(spec.update_fields))
                if refused:
                    raise ValidationError(
                        {
                            name: [f"The {binding.domain} domain does not let this field change."]
                            for name in refused
                        }
                    )
                if not changed:
                    return
                dto = binding.resource().update(self.pk, **changed)
        except NotFound as exc:
            raise self.DoesNotExist(exc.message) from exc
        except (ValidationFailed, Conflict) as exc:
            raise _validation_error(exc) from exc
        binding.refresh(self, dto)

    def delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete through the owning service; its refusal (a protected reference) as
        `ProtectedError`."""
        if self.pk is None:
            raise ValueError(
                f"{self._meta.object_name} object can't be deleted because its "
                f"{self._meta.pk.attname} attribute is set to None."
            )
        refuse_inside_transaction(type(self), "delete()")
        try:
            self._service.resource().delete(self.pk)
        except NotFound:
            return 0, {}
        except Conflict as exc:
            raise ProtectedError(exc.message, set()) from exc
        self.pk = None
        return 1, {self._meta.label: 1}

    def refresh_from_db(
        self, using: Any = None, fields: Any = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = dict(self.__dict__.get(LOADED, {}))
        for field in self._meta.concrete_fields:
            if fields is None or field.name in fields or field.attname in fields:
                loaded[field.name] = getattr(self, field.attname)
        self.__dict__[LOADED] = loaded

    @classmethod
    def from_dto(cls, dto: Any) -> Any:
        """The model instance of a DTO this resource answered (from an operation, say)."""
        return cls._service.instances([dto])[0]

    # Uniqueness the resource cannot look up is left to the service, whose refusal comes back
    # from save() on the same field: the form shows it then.

    def _get_unique_checks(
        self, exclude: Any = None, include_meta_constraints: bool = False
    ) -> tuple[list[Any], list[Any]]:
        unique, _dates = super()._get_unique_checks(  # type: ignore[misc]
            exclude, include_meta_constraints
        )
        return [check for check in unique if self._can_look_up(check[1])], []

    def get_constraints(self) -> list[tuple[type[models.Model], Sequence[BaseConstraint]]]:
        return [
            (model, [c for c in constraints if self._checkable(c)])
            for model, constraints in super().get_constraints()
        ]

    def _checkable(self, constraint: Any) -> bool:
        return (
            isinstance(constraint, UniqueConstraint)
            and bool(constraint.fields)
            and (constraint.condition is None and self._can_look_up(constraint.fields))
        )

    def _can_look_up(self, names: Any) -> bool:
        filters = self._service.spec.filters
        pk = self._meta.pk.name
        return all(name == pk or name in filters for name in names)


def refuse_inside_transaction(model: Any, operation: str) -> None:
    """`UnsupportedQuery` when a write would run inside `transaction.atomic()` (tests' own
    transactions aside): the domain commits on its own, so the block could not undo it."""
    for connection in connections.all(initialized_only=True):
        if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            raise UnsupportedQuery(
                model,
                operation,
                f"it runs inside transaction.atomic() on the {connection.alias!r} database, but "
                f"the {model._service.domain} domain commits on its own: no transaction here "
                "can include it, or undo it.",
                "write outside the atomic block (with ATOMIC_REQUESTS, mark the view "
                "@transaction.non_atomic_requests); to undo an earlier step when a later one "
                "fails, call the service again.",
            )


def _validation_error(exc: DomainError) -> ValidationError:
    """A service's refusal as Django's ValidationError, field by field."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else exc.context.get("errors")
    if not isinstance(errors, dict) or not errors:
        errors = {NON_FIELD_ERRORS: [exc.message]}
    return ValidationError(
        {field: [str(m) for m in messages] for field, messages in errors.items()}
    )
