"""`ServiceQuerySet` and `ServiceManager`: Django's queryset API on a domain's interface.

A `ServiceQuerySet` is a Django `QuerySet` (so generic views, forms, paginators and related
managers take it as one) whose state is a `ServiceQuery` instead of SQL:

| ORM                                         | interface                                     |
| ------------------------------------------- | --------------------------------------------- |
| iteration, `qs[a:b]`, `Paginator` page      | one `list` page sized to the slice            |
| `count()`, `exists()`                       | one `list` call of one row (`Page.total`)     |
| `get(pk=...)`, `filter(pk__in=...)`         | one `get_many`                                |
| `get(slug=...)`, `first()`                  | one `list` call of one or two rows            |
| `filter`/`exclude` on declared filters      | `list(filters=...)`, exact and `__in`         |
| `order_by` on declared orderings            | `list(ordering=...)`                          |
| `values()`, `values_list()`                 | the same calls, rows projected                |
| `select_related`, `only`, `defer`           | accepted: references resolve per page anyway  |
| `prefetch_related` (reverse relations too)  | one `list` per relation for all the rows      |
| `create`, `get_or_create`, `update_or_create` | the service's `create` / `update`           |

Everything else raises `UnsupportedQuery` at the call, naming what to do instead.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.manager import BaseManager
from django.db.models.utils import resolve_callables

from domain_services.backed.errors import UnsupportedQuery
from domain_services.backed.query import PK, ServiceQuery


class ServiceQuerySet(QuerySet[Any]):
    """A queryset answered by a domain's interface; see the module docstring."""

    # Django's own QuerySet state, which the stubs do not declare.
    _db: str | None
    _hints: dict[str, Any]
    _sticky_filter: bool
    _prefetch_related_lookups: tuple[Any, ...]
    _prefetch_done: bool
    _known_related_objects: dict[Any, dict[Any, Any]]
    _fields: tuple[str, ...] | None
    _prefetch_related_objects: Any

    def __init__(
        self,
        model: type[Model] | None = None,
        query: ServiceQuery | None = None,
        using: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            model=model,
            query=query or ServiceQuery(model),  # type: ignore[arg-type]
            using=using,
            hints=hints,
        )
        self._rows: tuple[Any, ...] = ("models",)

    # Django reads and replaces `query`; here it is always the ServiceQuery.
    @property  # type: ignore[override]
    def query(self) -> ServiceQuery:
        return self._query

    @query.setter
    def query(self, value: ServiceQuery) -> None:
        self._query = value

    @property
    def ordered(self) -> bool:
        """True when the rows come in a declared order (order_by, or Meta.ordering)."""
        return bool(self.query.effective_ordering())

    def __repr__(self) -> str:
        # Never a call for a repr (debug pages show locals): rows only once fetched.
        if self._result_cache is None:
            return f"<{type(self).__name__} {self.query!r} (not fetched)>"
        return f"<{type(self).__name__} {self._result_cache!r}>"

    def _clone(self) -> ServiceQuerySet:
        clone = type(self)(
            model=self.model, query=self.query.clone(), using=self._db, hints=self._hints
        )
        clone._sticky_filter = self._sticky_filter
        clone._for_write = self._for_write
        clone._prefetch_related_lookups = self._prefetch_related_lookups[:]
        clone._known_related_objects = self._known_related_objects
        clone._fields = self._fields
        clone._rows = self._rows
        return clone

    def _chain(self) -> ServiceQuerySet:
        return self._clone()

    # -- building ---------------------------------------------------------------------------

    def filter(self, *args: Any, **kwargs: Any) -> ServiceQuerySet:
        """Keep the rows matching declared filters (exact, `__in`, `__isnull=True`)."""
        return self._filter_or_exclude(False, args, kwargs)

    def exclude(self, *args: Any, **kwargs: Any) -> ServiceQuerySet:
        """Leave out rows: by primary key, or on a filter with a closed set of values."""
        return self._filter_or_exclude(True, args, kwargs)

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> ServiceQuerySet:
        if self.query.is_sliced:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        clone = self._chain()
        clone._filter_or_exclude_inplace(negate, args, kwargs)
        return clone

    def _filter_or_exclude_inplace(self, negate: bool, args: Any, kwargs: Any) -> None:
        condition = Q(*args, **kwargs)
        self.query.add_q(~condition if negate else condition)

    def complex_filter(self, filter_obj: Any) -> ServiceQuerySet:
        if isinstance(filter_obj, Q):
            return self.filter(filter_obj)
        return self.filter(**filter_obj)

    def order_by(self, *field_names: Any) -> ServiceQuerySet:
        """Order by declared keys; `order_by()` leaves the order to the service."""
        if self.query.is_sliced:
            raise TypeError("Cannot reorder a query once a slice has been taken.")
        clone = self._chain()
        clone.query.set_ordering(field_names)
        return clone

    def reverse(self) -> ServiceQuerySet:
        if self.query.is_sliced:
            raise TypeError("Cannot reverse a query once a slice has been taken.")
        clone = self._chain()
        clone.query.reverse_ordering()
        return clone

    def none(self) -> ServiceQuerySet:
        clone = self._chain()
        clone.query.set_empty()
        return clone

    def using(self, alias: str | None) -> ServiceQuerySet:
        clone = self._chain()
        clone._db = alias
        return clone

    def distinct(self, *field_names: Any) -> ServiceQuerySet:
        """Rows are distinct already (one per object); `distinct(*fields)` is unsupported."""
        if field_names:
            self._unsupported(
                "distinct(<fields>)",
                "DISTINCT ON is SQL; the interface returns one row per object.",
                "drop duplicates of those fields in Python from a bounded list.",
            )
        return self._chain()

    def select_related(self, *fields: Any) -> ServiceQuerySet:
        """Accepted: every reference a row follows is resolved for its whole page anyway."""
        return self._chain()

    def only(self, *fields: Any) -> ServiceQuerySet:
        """Accepted: the DTO comes whole."""
        return self._chain()

    def defer(self, *fields: Any) -> ServiceQuerySet:
        """Accepted: the DTO comes whole."""
        return self._chain()

    def prefetch_related(self, *lookups: Any) -> ServiceQuerySet:
        """Fetch related rows for every row at once: one `list` per relation (`floors__rooms`)."""
        if self._fields is not None:
            raise TypeError("'prefetch_related()' is not supported with values().")
        clone = self._chain()
        if lookups == (None,):
            clone._prefetch_related_lookups = ()
        else:
            clone._prefetch_related_lookups = (*clone._prefetch_related_lookups, *lookups)
        return clone

    def values(self, *fields: Any, **expressions: Any) -> ServiceQuerySet:
        """Rows as dicts of model fields (a reference as its UUID); no joins."""
        if expressions:
            self._expressions("values")
        clone = self._chain()
        clone._fields = tuple(fields)
        clone._rows = ("values", *clone._columns("values", fields))
        return clone

    def values_list(self, *fields: Any, flat: bool = False, named: bool = False) -> ServiceQuerySet:
        """Rows as tuples of model fields (`flat=True` for one field); no joins."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(fields) > 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        clone = self._chain()
        clone._fields = tuple(fields)
        kind = "flat" if flat else "named" if named else "tuples"
        clone._rows = (kind, *clone._columns("values_list", fields))
        return clone

    def _columns(
        self, operation: str, fields: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The keys of each row and the model attributes they come from (a reference as its
        UUID, as Django's `values()` gives its key)."""
        opts = self.model._meta
        if not fields:
            attnames = tuple(f.attname for f in opts.concrete_fields)
            return attnames, attnames
        by_name = {f.name: f.attname for f in opts.concrete_fields}
        by_name |= {f.attname: f.attname for f in opts.concrete_fields}
        by_name[PK] = opts.pk.attname
        for name in fields:
            if LOOKUP_SEP in name:
                self._unsupported(
                    f"{operation}({name!r})",
                    "a value through a relation is a join, which one domain's interface cannot "
                    "answer.",
                    "follow the reference on each model instance (resolved per page).",
                )
            if name not in by_name:
                self._unsupported(
                    f"{operation}({name!r})",
                    f"{name!r} is not a field of {self.model.__name__}.",
                    "name a model field.",
                )
        return tuple(fields), tuple(by_name[name] for name in fields)

    # -- fetching ---------------------------------------------------------------------------

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._result_cache = self._rows_of(self.query.fetch())
        if self._prefetch_related_lookups and not self._prefetch_done:
            self._prefetch_related_objects()

    def _rows_of(self, dtos: list[Any]) -> list[Any]:
        objs = self.model._service.instances(dtos)
        for field, known in self._known_related_objects.items():
            for obj in objs:
                related = known.get(getattr(obj, field.attname))
                if related is not None:
                    field.set_cached_value(obj, related)
        if self._rows[0] == "models":
            return objs
        kind, keys, attributes = self._rows
        values = [[getattr(obj, name) for name in attributes] for obj in objs]
        if kind == "values":
            return [dict(zip(keys, row, strict=True)) for row in values]
        if kind == "flat":
            return [row[0] for row in values]
        if kind == "named":
            row_class = namedtuple("Row", keys)  # type: ignore[misc]
            return [row_class(*row) for row in values]
        return [tuple(row) for row in values]

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        clone = self._chain()
        clone._fetch_all()
        return iter(clone._result_cache or ())

    def count(self) -> int:
        if self._result_cache is not None:
            return len(self._result_cache)
        return self.query.count()

    def exists(self) -> bool:
        if self._result_cache is not None:
            return bool(self._result_cache)
        return self.query.exists()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        clone = self.filter(*args, **kwargs) if (args or kwargs) else self._chain()
        if not clone.query.is_sliced:
            clone.query.clear_ordering()  # which row comes first does not matter here
            clone.query.set_limits(high=2)
        rows = list(clone)
        if len(rows) == 1:
            return rows[0]
        name = self.model._meta.object_name
        if not rows:
            raise self.model.DoesNotExist(f"{name} matching query does not exist.")
        found = (self.filter(*args, **kwargs) if (args or kwargs) else self).count()
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {name} -- it returned {found}!"
        )

    def first(self) -> Any:
        if self._result_cache is not None:
            return self._result_cache[0] if self._result_cache else None
        for obj in self[:1]:
            return obj
        return None

    def last(self) -> Any:
        if not self.query.effective_ordering():
            self._unsupported(
                "last()",
                "the rows have no declared order, so there is no last one to ask for.",
                "order_by() a declared key first.",
            )
        if self._result_cache is not None:
            return self._result_cache[-1] if self._result_cache else None
        for obj in self.reverse()[:1]:
            return obj
        return None

    def _earliest(self, *fields: Any) -> Any:
        keys = fields or self.model._meta.get_latest_by
        if not keys:
            raise ValueError(
                "earliest() and latest() require either fields as positional "
                "arguments or 'get_latest_by' in the model's Meta."
            )
        keys = (keys,) if isinstance(keys, str) else keys
        obj = self.order_by(*keys).first()
        if obj is None:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return obj

    def earliest(self, *fields: Any) -> Any:
        return self._earliest(*fields)

    def latest(self, *fields: Any) -> Any:
        keys = fields or self.model._meta.get_latest_by
        keys = (keys,) if isinstance(keys, str) else tuple(keys or ())
        return self._earliest(*(k[1:] if k.startswith("-") else f"-{k}" for k in keys))

    def in_bulk(self, id_list: Any = None, *, field_name: str = PK) -> dict[Any, Any]:
        if id_list is not None:
            if not id_list:
                return {}
            rows = self.filter(**{f"{field_name}__in": list(id_list)})
        else:
            rows = self
        return {getattr(obj, field_name): obj for obj in rows}

    # -- writing, through the owning service ------------------------------------------------

    def create(self, **kwargs: Any) -> Any:
        """A new object, created by the owning service (its errors as `ValidationError`)."""
        obj = self.model(**kwargs)
        self._for_write = True
        obj.save(force_insert=True)
        return obj

    def get_or_create(self, defaults: Any = None, **kwargs: Any) -> tuple[Any, bool]:
        try:
            return self.get(**kwargs), False
        except self.model.DoesNotExist:
            params = {k: v for k, v in kwargs.items() if LOOKUP_SEP not in k}
            params.update(resolve_callables(defaults or {}))
            try:
                return self.create(**params), True
            except ValidationError:
                # Created meanwhile by someone else (the service refused a duplicate)?
                try:
                    return self.get(**kwargs), False
                except self.model.DoesNotExist:
                    pass
                raise

    def update_or_create(
        self, defaults: Any = None, create_defaults: Any = None, **kwargs: Any
    ) -> tuple[Any, bool]:
        try:
            obj = self.get(**kwargs)
        except self.model.DoesNotExist:
            chosen = defaults if create_defaults is None else create_defaults
            params = {k: v for k, v in kwargs.items() if LOOKUP_SEP not in k}
            params.update(resolve_callables(chosen or {}))
            return self.create(**params), True
        for name, value in resolve_callables(defaults or {}):
            setattr(obj, name, value)
        obj.save()
        return obj, False

    # -- what the interface cannot do -------------------------------------------------------

    def _unsupported(self, operation: str, why: str, instead: str) -> NoReturn:
        raise UnsupportedQuery(self.model, operation, why, instead)

    def _expressions(self, operation: str) -> NoReturn:
        self._unsupported(
            f"{operation}(<expressions>)",
            "computed columns are SQL, and the data lives behind a domain's interface.",
            "compute the value in Python for each row (a batched_property when it needs a "
            "call), or ask the domain to add it to its DTO.",
        )

    def annotate(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._expressions("annotate")

    def alias(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._expressions("alias")

    def aggregate(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "aggregate(...)",
            "the interface returns rows, not aggregates (it can count them).",
            "use count(), or add a query operation to the interface that computes the "
            "aggregate in its domain.",
        )

    def extra(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "extra(...)",
            "raw SQL has no table to run on: the data lives in another domain.",
            "use declared filters and orderings, or an operation of the interface.",
        )

    def raw(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "raw(...)",
            "raw SQL has no table to run on: the data lives in another domain.",
            "call the domain's interface (a resource or an operation).",
        )

    def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "select_for_update()",
            "a row lock cannot be held across a domain's interface; the owning service locks "
            "rows inside its own write transaction.",
            "let one command of the interface do the read-modify-write.",
        )

    def _combined(self, operation: str) -> NoReturn:
        self._unsupported(
            operation,
            "combining queries is SQL (an OR, UNION, INTERSECT or EXCEPT across conditions).",
            "run each query and merge the rows in Python.",
        )

    def union(self, *other_qs: Any, all: bool = False) -> NoReturn:
        self._combined("union(...)")

    def intersection(self, *other_qs: Any) -> NoReturn:
        self._combined("intersection(...)")

    def difference(self, *other_qs: Any) -> NoReturn:
        self._combined("difference(...)")

    def __or__(self, other: Any) -> NoReturn:
        self._combined("qs1 | qs2")

    def __and__(self, other: Any) -> NoReturn:
        self._combined("qs1 & qs2")

    def __xor__(self, other: Any) -> NoReturn:
        self._combined("qs1 ^ qs2")

    def dates(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._expressions("dates")

    def datetimes(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._expressions("datetimes")

    def explain(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported("explain()", "there is no SQL plan.", "time the interface calls.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "bulk_create(...)",
            "a bulk INSERT is one SQL statement; the interface creates and checks one object "
            "per call.",
            "save() each object (each refusal is reported), or add a command to the interface.",
        )

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "bulk_update(...)",
            "a bulk UPDATE is one SQL statement; the interface updates one object per call.",
            "save() each object, or add a command to the interface.",
        )

    def update(self, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "update(...)",
            "an UPDATE of every matching row is SQL; the interface changes one object per "
            "call, after its checks.",
            "iterate and save() each object, or add a command to the interface.",
        )

    def delete(self) -> NoReturn:
        self._unsupported(
            "delete() (of a queryset)",
            "a DELETE of every matching row is SQL; the owning service deletes one object per "
            "call, after checking who refers to it.",
            "delete() each object, so each refusal is reported.",
        )

    def resolve_expression(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._unsupported(
            "<queryset used inside an SQL query>",
            "a subquery joins this domain's rows into another table's SQL.",
            "evaluate it first: list(qs) or qs.values_list('pk', flat=True).",
        )


class ServiceManager(BaseManager.from_queryset(ServiceQuerySet)):  # type: ignore[misc]
    """The manager of a service-backed model: `Model.objects`, reverse relations included."""
