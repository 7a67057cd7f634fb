"""References between service-backed models, resolved for every row of a page at once.

Rows fetched together form a `RowBatch`. The first time a template follows a reference on one
row (`device.room`), the reference is resolved for every row of the batch in one `get_many`;
the rooms fetched form a batch of their own, so `device.room.floor` costs one more call for
the whole page, and so on down the chain. A `batched_property` does the same for a value
another call gives (a device's live status). A page therefore costs one call per reference
followed, whatever its number of rows, and nothing for references no one follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar, overload

from django.db.models import Model
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

T = TypeVar("T")
BATCH = "service_batch"


class RowBatch:
    """Instances fetched together; they resolve their references together."""

    def __init__(self, instances: list[Any]) -> None:
        self.instances = instances
        # The batch holds its instances, so their ids stay theirs while it lives.
        self.ids = {id(obj) for obj in instances}
        self.missing: set[tuple[str, Any]] = set()  # (field, value) the service did not have

    @classmethod
    def attach(cls, instances: list[Any]) -> None:
        batch = cls(instances)
        for obj in instances:
            setattr(obj._state, BATCH, batch)

    @staticmethod
    def of(instance: Any) -> RowBatch:
        """The batch `instance` was fetched in (itself alone if it was built here)."""
        batch = getattr(instance._state, BATCH, None)
        # A copy of an instance shares its `_state` attributes but is not in the batch.
        if batch is None or id(instance) not in batch.ids:
            batch = RowBatch([instance])
            setattr(instance._state, BATCH, batch)
        return batch

    def resolve(self, field: Any) -> None:
        """Fetch the objects `field` refers to for every instance of the batch, in one call."""
        pending = [
            obj
            for obj in self.instances
            if not field.is_cached(obj)
            and getattr(obj, field.attname) is not None
            and (field.name, getattr(obj, field.attname)) not in self.missing
        ]
        wanted = {getattr(obj, field.attname) for obj in pending}
        if not wanted:
            return
        target = field.remote_field.model
        found = {obj.pk: obj for obj in target._base_manager.filter(pk__in=wanted).order_by()}
        for obj in pending:
            value = getattr(obj, field.attname)
            if value in found:
                field.set_cached_value(obj, found[value])
            else:
                self.missing.add((field.name, value))


class BatchedForwardDescriptor(ForwardManyToOneDescriptor):
    """`device.room` on a service-backed model: resolved for the whole batch on first use."""

    def get_object(self, instance: Any) -> Any:
        batch = RowBatch.of(instance)
        batch.resolve(self.field)
        try:
            return self.field.get_cached_value(instance)
        except KeyError:
            value = getattr(instance, self.field.attname)
            raise self.field.remote_field.model.DoesNotExist(
                f"{self.field.model.__name__}.{self.field.name}: the "
                f"{self.field.remote_field.model.__name__} {value} does not exist."
            ) from None

    def get_prefetch_querysets(self, instances: list[Any], querysets: Any = None) -> Any:
        # prefetch_related("room"): one batch resolve, instead of Django's SQL tuple lookup.
        instances = list(instances)
        RowBatch.attach(instances)
        RowBatch.of(instances[0]).resolve(self.field)
        related: dict[int, Any] = {}
        for obj in instances:
            if self.field.is_cached(obj):
                target = self.field.get_cached_value(obj)
                related[id(target)] = target
        queryset = self.field.remote_field.model._base_manager.none()
        queryset._result_cache = list(related.values())
        queryset._prefetch_done = True
        return (
            queryset,
            self.field.get_foreign_related_value,
            self.field.get_local_related_value,
            True,
            self.field.cache_name,
            False,
        )


class batched_property(Generic[T]):
    """A value computed for every row of a batch by one call, the first time one row asks.

        @batched_property
        def status(devices):   # every device fetched with this one that has no status yet
            return {d.pk: s for d, s in ...}   # by primary key; rows left out get None

    Then `device.status` in a template costs one call for the whole page.
    """

    def __init__(self, load: Callable[[list[Any]], Mapping[Any, T]]) -> None:
        self.load = load
        self.name = load.__name__
        self.__doc__ = load.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> batched_property[T]: ...

    @overload
    def __get__(self, instance: Model, owner: type) -> T | None: ...

    def __get__(self, instance: Model | None, owner: type) -> batched_property[T] | T | None:
        if instance is None:
            return self
        pending = [obj for obj in _batch_of(instance) if self.name not in obj.__dict__]
        values = self.load(pending)
        for obj in pending:
            # Stored in the instance's __dict__, which hides this (non-data) descriptor.
            obj.__dict__[self.name] = values.get(obj.pk)
        return instance.__dict__[self.name]


def _batch_of(instance: Model) -> Iterable[Any]:
    return RowBatch.of(instance).instances
