"""`ServiceQuery`: what a service-backed queryset asks for, in the terms of the domain's
interface, and the calls that answer it.

`filter`, `exclude`, `order_by` and slicing land here as:

- `where`: for each declared filter, the values a row may have (`exact` is one value, `__in`
  several; two conditions on one field keep what both allow; an `exclude` on a field with a
  closed set of values, a `Literal` or a `bool`, keeps the other values);
- `pks` and `excluded_pks`: UUIDs asked for (one `get_many`) or left out (dropped from the rows
  fetched);
- `ordering`: declared ordering keys (the model's `Meta.ordering` by default);
- `low_mark`, `high_mark`: the slice, answered by one `list` page whose size fits it.

Whatever the interface cannot answer exactly (another lookup, a join into another resource,
an OR across fields, an expression) raises `UnsupportedQuery` when it is asked for. The
object stands where Django keeps its SQL `Query`, so Django code that builds SQL from it meets
an `UnsupportedQuery` too, not a query against a table that does not exist.
"""

from __future__ import annotations

import copy
import enum
import math
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db.models import Field, ForeignObjectRel, Model, Q
from django.db.models.constants import LOOKUP_SEP

from domain_services.backed.binding import Binding
from domain_services.backed.errors import UnsupportedQuery
from domain_services.page import Page

PK = "pk"
LOOKUPS = ("exact", "in", "isnull")


class ServiceQuery:
    """The state of one service-backed queryset; see the module docstring."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.where: dict[str, list[Any]] = {}
        self.pks: list[Any] | None = None
        self.excluded_pks: list[Any] = []
        self.empty = False
        self.ordering: tuple[str, ...] | None = None  # None: the model's Meta.ordering
        self.low_mark = 0
        self.high_mark: int | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for what this object does not have: Django code building SQL.
        if name.startswith("_"):
            raise AttributeError(name)
        raise UnsupportedQuery(
            self.model,
            f"query.{name}",
            "Django tried to build SQL for a service-backed model, which has no table.",
            "use the operations the queryset maps onto the interface (see docs/portal.md).",
        )

    def __repr__(self) -> str:
        return (
            f"<ServiceQuery {self.model.__name__} where={self.where} pks={self.pks} "
            f"excluded={self.excluded_pks} ordering={self.effective_ordering()} "
            f"slice=[{self.low_mark}:{self.high_mark}]{' empty' if self.empty else ''}>"
        )

    @property
    def binding(self) -> Binding:
        binding: Binding = self.model._service  # type: ignore[attr-defined]
        return binding

    @property
    def spec(self) -> Any:  # the resource's declaration, a ResourceSpec
        return self.binding.spec

    # -- what Django's querysets and related managers ask of a query ------------------------

    def clone(self) -> ServiceQuery:
        other = copy.copy(self)
        other.where = {name: list(values) for name, values in self.where.items()}
        other.pks = None if self.pks is None else list(self.pks)
        other.excluded_pks = list(self.excluded_pks)
        return other

    def chain(self, klass: Any = None) -> ServiceQuery:
        return self.clone()

    @property
    def is_sliced(self) -> bool:
        return self.low_mark != 0 or self.high_mark is not None

    def is_empty(self) -> bool:
        return self.empty

    def set_empty(self) -> None:
        self.empty = True

    def can_filter(self) -> bool:
        return not self.is_sliced

    def has_filters(self) -> bool:
        return bool(self.where) or self.pks is not None or bool(self.excluded_pks)

    def set_limits(self, low: int | None = None, high: int | None = None) -> None:
        """Narrow the slice, relative to the current one (as Django's `Query` does)."""
        if high is not None:
            end = self.low_mark + high
            self.high_mark = end if self.high_mark is None else min(self.high_mark, end)
        if low is not None:
            start = self.low_mark + low
            self.low_mark = start if self.high_mark is None else min(self.high_mark, start)
        if self.high_mark is not None and self.low_mark >= self.high_mark:
            self.set_empty()

    def clear_limits(self) -> None:
        self.low_mark, self.high_mark = 0, None

    def clear_ordering(self, force: bool = False, clear_default: bool = True) -> None:
        self.ordering = () if clear_default else None

    # -- filters ----------------------------------------------------------------------------

    def add_q(self, q: Q, reuse_all: bool = False) -> None:
        """Add the conditions of `q` (what `filter`, `exclude` and related managers pass)."""
        self._add(q, negated=False)

    def _add(self, node: Any, *, negated: bool) -> None:
        if isinstance(node, tuple):
            self.add_condition(node[0], node[1], negated=negated)
            return
        if not isinstance(node, Q):
            raise UnsupportedQuery(
                self.model,
                "filter(<expression>)",
                f"{node!r} is an expression; the interface filters declared fields by value.",
                "filter with field=value or field__in=[...] on a declared filter.",
            )
        negated ^= node.negated
        children = node.children
        if len(children) == 1:
            self._add(children[0], negated=negated)
        elif node.connector == Q.AND and not negated:
            for child in children:
                self._add(child, negated=False)
        elif node.connector == Q.OR and negated:  # not (a or b) = not a and not b
            for child in children:
                self._add(child, negated=True)
        elif node.connector == Q.OR:
            self._add_any_of(children)
        else:
            what = "exclude() of several conditions" if node.connector == Q.AND else "XOR"
            raise UnsupportedQuery(
                self.model,
                "exclude(a=..., b=...)" if node.connector == Q.AND else "filter(Q(...) ^ Q(...))",
                f"{what} is an OR across conditions; the interface ANDs its filters.",
                "exclude one field at a time, or run one query per condition and merge.",
            )

    def _add_any_of(self, children: Sequence[Any]) -> None:
        """`Q(a=1) | Q(a=2)` on one field is `a__in=[1, 2]`; across fields it cannot be."""
        conditions = [_single_condition(child) for child in children]
        targets = []
        values: list[Any] = []
        field: Field[Any, Any] | None = None
        for condition in conditions:
            if condition is None:
                targets = ["<several>"]
                break
            target, field, lookup_type = self._target(condition[0])
            targets.append(target)
            values += self._values(field, lookup_type, condition[1])
        if len(set(targets)) != 1 or field is None:
            raise UnsupportedQuery(
                self.model,
                "filter(Q(...) | Q(...))",
                f"an OR across {sorted(set(targets))}: the interface ANDs its filters.",
                "run one query per condition and merge the rows, or declare a filter in the "
                "interface that says what you mean.",
            )
        self._restrict(targets[0], field, _unique(values), negated=False)

    def add_condition(self, lookup: str, value: Any, *, negated: bool = False) -> None:
        """One `lookup=value` condition, kept (`filter`) or left out (`exclude`)."""
        target, field, lookup_type = self._target(lookup)
        self._restrict(target, field, self._values(field, lookup_type, value), negated=negated)

    def _target(self, lookup: str) -> tuple[str, Field[Any, Any], str]:
        """The declared filter (or PK) a lookup names, its model field and its lookup type."""
        opts = self.model._meta
        name, *rest = lookup.split(LOOKUP_SEP)
        field = opts.pk if name == PK else _field(opts, name)
        if field is None:
            choices = ", ".join(sorted([*(f.name for f in opts.get_fields()), PK]))
            raise FieldError(f"Cannot resolve keyword {name!r} into field. Choices are: {choices}")
        if isinstance(field, ForeignObjectRel) or field.many_to_many:
            raise self._join(lookup, f"{name!r} is a reverse or many-to-many relation")
        if field.is_relation and name != field.attname and rest:
            target = field.target_field  # type: ignore[union-attr]
            if rest[0] in (PK, target.name, target.attname):
                rest = rest[1:]  # room__pk, room__uuid: the reference itself
            elif rest[0] not in LOOKUPS:
                raise self._join(lookup, f"it follows {name!r} into another resource")
        lookup_type = rest[0] if rest else "exact"
        if len(rest) > 1 or lookup_type not in LOOKUPS:
            raise UnsupportedQuery(
                self.model,
                f"filter({lookup}=...)",
                f"the interface filters by equality ('exact') and 'any of' ('in') only, "
                f"not by {LOOKUP_SEP.join(rest)!r}.",
                "filter on exact values, or declare the filter you need in the interface "
                "(search, ranges) and call it through the service.",
            )
        if field.primary_key:
            return PK, field, lookup_type
        if field.name not in self.spec.filters:
            raise UnsupportedQuery(
                self.model,
                f"filter({lookup}=...)",
                f"{self.binding.label} cannot filter on {field.name!r}; its declared filters "
                f"are {sorted(self.spec.filters)}.",
                "filter on a declared field, or declare this filter in the interface.",
            )
        return field.name, field, lookup_type

    def _join(self, lookup: str, why: str) -> UnsupportedQuery:
        return UnsupportedQuery(
            self.model,
            f"filter({lookup}=...)",
            f"{why}: a join, which one domain's interface cannot answer (the other side may "
            "live in another domain).",
            "look up the related objects first and filter on their UUIDs: "
            "filter(room__in=Room.objects.filter(floor=floor)).",
        )

    def _values(self, field: Field[Any, Any], lookup_type: str, value: Any) -> list[Any]:
        if lookup_type == "isnull":
            if value is not True:
                raise UnsupportedQuery(
                    self.model,
                    f"filter({field.name}__isnull={value!r})",
                    "the interface can ask for a missing value, not for any value.",
                    f"leave out the condition, or exclude {field.name}=None on a field with "
                    "a closed set of values.",
                )
            return [None]
        if lookup_type == "in":
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                raise TypeError(f"{field.name}__in needs an iterable of values, not {value!r}.")
            items = list(value)  # a service-backed queryset is fetched here (bounded)
        else:
            items = [value]
        return _unique(self._python(field, item) for item in items)

    def _python(self, field: Field[Any, Any], item: Any) -> Any:
        if hasattr(item, "resolve_expression") and not isinstance(item, Model):
            raise UnsupportedQuery(
                self.model,
                f"filter({field.name}=<expression>)",
                f"{item!r} compares with an expression; the interface filters by values.",
                "evaluate the value first and pass it.",
            )
        if isinstance(item, Model):
            expected = field.related_model if field.is_relation else self.model
            if not isinstance(item, expected):  # type: ignore[arg-type]
                raise ValueError(
                    f'Cannot query "{item!r}": Must be "{expected.__name__}" instance.'  # type: ignore[union-attr]
                )
            item = item.pk
            if item is None:
                raise ValueError("Model instances passed to related filters must be saved.")
        if item is None:
            return None
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        return target.to_python(item)

    def _restrict(
        self, target: str, field: Field[Any, Any], values: list[Any], *, negated: bool
    ) -> None:
        if target == PK:
            if negated:
                self.excluded_pks += [v for v in values if v not in self.excluded_pks]
            else:
                self.pks = values if self.pks is None else [v for v in self.pks if v in values]
                self.empty |= not self.pks
            return
        choices = _choices(self.spec.filters[target])
        if negated:
            if choices is None or field.null:
                raise UnsupportedQuery(
                    self.model,
                    f"exclude({field.name}=...)",
                    f"the interface is told which values to keep, and {field.name!r} has no "
                    "closed set of values to keep instead"
                    + (" (or may be null)." if field.null else "."),
                    "filter on the values you want, or drop the rows in Python from a bounded "
                    "list.",
                )
            values = [choice for choice in choices if choice not in values]
        elif choices is not None:
            values = [value for value in values if value in choices or value is None]
        current = self.where.get(target)
        kept = values if current is None else [v for v in current if v in values]
        if None in kept and len(kept) > 1:
            raise UnsupportedQuery(
                self.model,
                f"filter({field.name}__in=[None, ...])",
                "the interface cannot ask for 'missing or one of these values' in one call.",
                "run one query for the missing value and one for the others.",
            )
        self.where[target] = kept
        self.empty |= not kept

    # -- ordering ---------------------------------------------------------------------------

    def set_ordering(self, keys: Sequence[Any]) -> None:
        """`order_by(*keys)`: each a declared ordering (`name`, `-name`)."""
        checked = []
        for key in keys:
            if not isinstance(key, str):
                raise UnsupportedQuery(
                    self.model,
                    "order_by(<expression>)",
                    f"{key!r} is an expression; the interface orders by declared keys.",
                    f"order by one of {sorted(self.spec.ordering)}.",
                )
            if key == "?":
                raise UnsupportedQuery(
                    self.model,
                    "order_by('?')",
                    "the interface has no random order.",
                    "shuffle a bounded list in Python.",
                )
            checked.append(self._ordering_key(key))
        self.ordering = tuple(checked)

    def _ordering_key(self, key: str) -> str:
        descending = key.startswith("-")
        name = key.lstrip("-+")
        if LOOKUP_SEP in name:
            raise UnsupportedQuery(
                self.model,
                f"order_by({key!r})",
                "ordering through a relation is a join, which one domain's interface cannot "
                "answer.",
                f"order by one of {sorted(self.spec.ordering)}, or sort a bounded list in Python.",
            )
        field = self.model._meta.pk if name == PK else _field(self.model._meta, name)
        if field is not None:
            name = field.name
        if name not in self.spec.ordering:
            if field is None:
                raise FieldError(f"Cannot resolve keyword {name!r} into field.")
            raise UnsupportedQuery(
                self.model,
                f"order_by({key!r})",
                f"{self.binding.label} cannot be ordered by {name!r}; its declared orderings "
                f"are {sorted(self.spec.ordering)}.",
                "order by a declared key, or declare this ordering in the interface.",
            )
        return f"-{name}" if descending else name

    def effective_ordering(self) -> tuple[str, ...]:
        if self.ordering is not None:
            return self.ordering
        return tuple(self.model._meta.ordering)  # type: ignore[arg-type]

    def reverse_ordering(self) -> None:
        self.ordering = tuple(
            key[1:] if key.startswith("-") else f"-{key}" for key in self.effective_ordering()
        )

    # -- the calls --------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The `filters` argument of `list`."""
        return {
            name: values[0] if len(values) == 1 else list(values)
            for name, values in self.where.items()
        }

    def page(self, number: int, size: int) -> Page[Any]:
        """One `list` call."""
        keys = self.effective_ordering()
        return self.binding.resource().list(
            filters=self.filters(),
            ordering=list(keys) if keys else None,
            page=number,
            page_size=size,
        )

    def fetch(self) -> list[Any]:
        """The DTOs of the rows asked for, in as few calls as the slice allows."""
        if self.empty:
            return []
        if self.pks is not None:
            return self._by_pk()[self.low_mark : self.high_mark]
        if self.excluded_pks:
            # Rows left out shift the slice: fetch from the start, drop them, then slice.
            end = None if self.high_mark is None else self.high_mark + len(self.excluded_pks)
            rows = [r for r in self._range(0, end) if r.uuid not in self.excluded_pks]
            return rows[self.low_mark : self.high_mark]
        return self._range(self.low_mark, self.high_mark)

    def count(self) -> int:
        """How many rows match (one `list` call of one row, or one `get_many`)."""
        if self.empty:
            return 0
        if self.pks is not None:
            total = len(self._by_pk())
        else:
            total = self.page(1, 1).total
            if self.excluded_pks:
                # Only those of the left-out rows that match were counted.
                found = self.binding.resource().get_many(self.excluded_pks).values()
                total -= sum(1 for row in found if self._matches(row))
        end = total if self.high_mark is None else min(total, self.high_mark)
        return max(0, end - self.low_mark)

    def exists(self) -> bool:
        if self.empty:
            return False
        if self.pks is not None or self.excluded_pks:
            probe = self.clone()
            probe.set_limits(0, 1)
            return bool(probe.fetch())
        end = self.page(1, 1).total
        if self.high_mark is not None:
            end = min(end, self.high_mark)
        return end > self.low_mark

    def _by_pk(self) -> list[Any]:
        wanted = [pk for pk in self.pks or () if pk not in self.excluded_pks]
        found = self.binding.resource().get_many(wanted) if wanted else {}
        rows = [found[pk] for pk in wanted if pk in found and self._matches(found[pk])]
        keys = self.effective_ordering()
        for key in reversed(keys):  # stable sorts, last key first
            name = key.lstrip("-")
            rows.sort(key=lambda row: _sort_key(row, name), reverse=key.startswith("-"))
        return rows

    def _matches(self, row: Any) -> bool:
        return all(getattr(row, name) in values for name, values in self.where.items())

    def _range(self, low: int, high: int | None) -> list[Any]:
        """Rows [low:high) of the list, through pages sized to the slice."""
        largest = self.spec.max_page_size
        if high is None:
            return self._rest(low)
        wanted = high - low
        if wanted <= 0:
            return []
        size = _aligned_page_size(low, high, largest)
        if size is not None:
            number = low // size + 1
            start = low - (number - 1) * size
            return list(self.page(number, size).items[start : start + wanted])
        rows: list[Any] = []
        number = low // largest + 1
        while True:
            page = self.page(number, largest)
            rows += page.items
            if not page.has_next or (number * largest) >= high:
                break
            number += 1
        start = low - (low // largest) * largest
        return rows[start : start + wanted]

    def _rest(self, low: int) -> list[Any]:
        """Every row from `low` on; refused past `max_rows` (never a silent full fetch)."""
        largest = self.spec.max_page_size
        number = low // largest + 1
        first = self.page(number, largest)
        remaining = first.total - low
        limit = self.binding.max_rows
        if remaining > limit:
            calls = math.ceil(remaining / largest)
            raise UnsupportedQuery(
                self.model,
                "all() (iterated whole)",
                f"it would fetch {remaining} {self.model._meta.verbose_name_plural} in {calls} "
                f"calls, more than max_rows={limit}.",
                "slice the queryset or paginate it (a Paginator asks for one page), or raise "
                "max_rows on the model if every row is really needed.",
            )
        rows = list(first.items)
        page = first
        while page.has_next:
            page = self.page(page.page + 1, largest)
            rows += page.items
        return rows[low - (number - 1) * largest :]


def _field(opts: Any, name: str) -> Any:
    """The field called `name` (or whose attname it is: `room_id`), or None."""
    try:
        return opts.get_field(name)
    except FieldDoesNotExist:
        for field in opts.concrete_fields:
            if field.attname == name:
                return field
        return None


def _single_condition(node: Any) -> tuple[str, Any] | None:
    """The one `(lookup, value)` a Q child stands for, or None when it is more than that."""
    while isinstance(node, Q) and not node.negated and len(node.children) == 1:
        node = node.children[0]
    return node if isinstance(node, tuple) else None


def _choices(kind: Any) -> list[Any] | None:
    """The closed set of values of a filter's type (Literal, bool, Enum), or None."""
    if typing.get_origin(kind) is typing.Literal:
        return list(typing.get_args(kind))
    if kind is bool:
        return [True, False]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return list(kind)
    return None


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _aligned_page_size(low: int, high: int, largest: int) -> int | None:
    """The smallest page size whose one page holds rows [low:high), or None."""
    for size in range(high - low, largest + 1):
        if low // size == (high - 1) // size:
            return size
    return None


def _sort_key(row: Any, name: str) -> tuple[bool, Any]:
    value = getattr(row, name)
    return (value is None, "" if value is None else value)
