"""A domain's public interface, declared once in the domain's own code.

    from domain_services.interfaces import Field, Interface, command, query, resource

    class Facilities(Interface, domain="facilities"):
        '''What other domains may ask of the facilities domain.'''

        buildings = resource(
            BuildingDTO,
            filters={"organization": UUID},
            ordering=("name", "created_at"),
            search=("name", "address"),
            create={"name": Field(max_length=200), "address": Field(max_length=300, required=False),
                    "organization": Field()},
            delete=True,
        )

        @query(route="buildings/{building_uuid}/rooms")
        def rooms_of_building(self, *, building_uuid: UUID) -> list[RoomDTO]:
            '''Every room of one building (NotFound for no building).'''
            raise NotImplementedError

Everything else is derived from the declaration: the filters and orderings a `ModelService`
accepts, the REST routes, views and OpenAPI schema, the REST client, an in-memory fake and the
contract tests. The class is also the type callers program against:
`services.get("facilities", Facilities).rooms.get(uuid)` is checked by mypy.

A local implementation subclasses the interface, sets each resource on the instance and
implements each operation; the registry refuses one that leaves something out.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar, overload
from uuid import UUID

from domain_services.errors import ValidationFailed
from domain_services.interfaces.resource import Resource
from domain_services.uuids import parse_uuid, parse_uuids

D = TypeVar("D")
F = TypeVar("F", bound=Callable[..., Any])

Kind = Literal["query", "command"]


@dataclass(frozen=True, slots=True)
class Field:
    """One writable field of a resource: its constraints, for the API and its schema.

    The type comes from the DTO's annotation of the same name (or `type` for a field the DTO
    does not carry). The domain's service stays the judge of what is valid; these constraints
    let the API refuse malformed input early and document it exactly.
    """

    required: bool = True
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    format: str | None = None  # "email"
    min_value: int | None = None
    max_value: int | None = None
    choices: Sequence[str] | None = None
    allow_blank: bool = False
    nullable: bool = False
    type: Any = None  # for a writable field the DTO does not carry
    help_text: str = ""


class ResourceSpec(Generic[D]):
    """The declaration of one resource: a kind of object with the standard operations.

    On the interface class it is this declaration (`Facilities.rooms.filters`); on an
    implementation instance it is the implementation's resource (`facilities.rooms.get(...)`).
    """

    def __init__(
        self,
        dto: type[D],
        *,
        path: str | None = None,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] = (),
        search: Sequence[str] = (),
        create: Mapping[str, Field] | None = None,
        update: Mapping[str, Field] | None = None,
        delete: bool = False,
        page_size: int | None = None,
        max_page_size: int = 500,
        label: str | None = None,
    ) -> None:
        if not dataclasses.is_dataclass(dto):
            raise TypeError(f"resource({dto!r}): the DTO must be a dataclass.")
        self.dto = dto
        self.path = path.strip("/") if path else None
        self.filters: dict[str, Any] = dict(filters or {})
        self.ordering: tuple[str, ...] = tuple(ordering)
        self.search: tuple[str, ...] = tuple(search)
        self.create_fields: dict[str, Field] = dict(create or {})
        # Updates take the create fields, all optional, unless declared otherwise.
        self.update_fields: dict[str, Field] = (
            dict(update)
            if update is not None
            else {
                name: dataclasses.replace(f, required=False)
                for name, f in self.create_fields.items()
            }
        )
        self.deletable = delete
        self.page_size = min(50, max_page_size) if page_size is None else page_size
        self.max_page_size = max_page_size
        self.label = label  # a DTO field, or None for str() of the DTO's `name`
        self.name = ""
        self.interface: type[Interface] | None = None
        self._check()

    def __set_name__(self, owner: type, name: str) -> None:
        # Only the interface names it; `declaration = Facilities.rooms` on a service must not.
        if not self.name and issubclass(owner, Interface):
            self.name = name
            self.path = self.path or name.replace("_", "-")

    @overload
    def __get__(self, obj: None, owner: Any) -> ResourceSpec[D]: ...

    @overload
    def __get__(self, obj: object, owner: Any) -> Resource[D]: ...

    def __get__(self, obj: object | None, owner: Any) -> ResourceSpec[D] | Resource[D]:
        if obj is None:
            return self
        # An implementation sets the resource on the instance, which hides this descriptor.
        raise AttributeError(
            f"{type(obj).__name__} does not provide the {self.name!r} resource of "
            f"{owner.__name__}; set self.{self.name} in its __init__."
        )

    def __repr__(self) -> str:
        return f"<resource {self.name} of {self.dto.__name__}>"

    # -- derived facts -----------------------------------------------------------------------

    @property
    def field_types(self) -> dict[str, Any]:
        """The DTO's fields and their types."""
        return _hints(typing.cast(type, self.dto))

    def input_type(self, name: str, field: Field) -> Any:
        """The type of a writable field: the DTO's, or the one the Field gives."""
        if field.type is not None:
            return field.type
        try:
            return self.field_types[name]
        except KeyError:
            raise TypeError(
                f"resource {self.name!r}: writable field {name!r} is not a field of "
                f"{self.dto.__name__}; give its type with Field(type=...)."
            ) from None

    def label_of(self, dto: Any) -> str:
        """How staff see one object (the `label` field, else `name`, else its UUID)."""
        for attribute in (self.label, "name", "uuid"):
            if attribute and hasattr(dto, attribute):
                return str(getattr(dto, attribute))
        return str(dto)

    # -- the rules every implementation applies (ModelService, the fake, the REST server) ------

    def check_page(self, page: object, page_size: object) -> None:
        """ValidationFailed naming `page` or `page_size` unless both are whole numbers in range."""
        for name, value in (("page", page), ("page_size", page_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationFailed.for_field(name, "Must be a whole number >= 1.")
        if page_size > self.max_page_size:  # type: ignore[operator]
            raise ValidationFailed.for_field("page_size", f"Must be at most {self.max_page_size}.")

    def check_ordering(self, ordering: Sequence[str] | str | None) -> list[str]:
        """The ordering keys (`name`, `-name`), each declared; [] for none given."""
        if ordering is None:
            return []
        keys = [ordering] if isinstance(ordering, str) else list(ordering)
        for key in keys:
            if not isinstance(key, str) or key.lstrip("-") not in self.ordering:
                raise ValidationFailed.for_field(
                    "ordering", f"Cannot order by {key!r}; allowed: {sorted(self.ordering)}."
                )
        return keys

    def check_filters(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        """The filters, each declared; UUID filters parsed (a list value means "any of")."""
        checked: dict[str, Any] = {}
        for name, value in filters.items():
            kind = self.filters.get(name)
            if kind is None:
                raise ValidationFailed.for_field(
                    "filters", f"Cannot filter on {name!r}; allowed: {sorted(self.filters)}."
                )
            many = isinstance(value, list | tuple | set | frozenset)
            if kind is UUID and value is not None:
                value = parse_uuids(value, field=name) if many else parse_uuid(value, field=name)
            checked[name] = list(value) if many else value
        return checked

    def _check(self) -> None:
        fields = _hints(typing.cast(type, self.dto))
        for key in ("uuid",):
            if key not in fields:
                raise TypeError(f"resource({self.dto.__name__}): the DTO needs a `uuid` field.")
        # Filters are on DTO fields (what callers see); orderings may use any stored field.
        unknown = [n for n in self.filters if n not in fields]
        if unknown:
            raise TypeError(f"resource({self.dto.__name__}): filters {unknown} are not DTO fields.")
        if self.max_page_size < self.page_size or self.page_size < 1:
            raise TypeError("resource(): need 1 <= page_size <= max_page_size.")


resource = ResourceSpec
"""Declare a resource of an interface: `resource(RoomDTO, filters=..., ordering=..., ...)`.

The DTO, its filters (name -> type), orderings, searchable fields, writable fields and page
limits (`page_size` defaults to 50, or to `max_page_size` when that is lower). `path` defaults
to the attribute name with dashes. (The declaration's class, named for how it reads.)
"""


@dataclass(frozen=True)
class OperationSpec:
    """A custom operation: a typed, keyword-only method, a query (safe to retry) or a command."""

    name: str
    kind: Kind
    function: Callable[..., Any]
    route: str  # relative to the API root; `{param}` parts are path parameters

    @property
    def is_query(self) -> bool:
        return self.kind == "query"

    @functools.cached_property
    def parameters(self) -> dict[str, inspect.Parameter]:
        return {
            name: p
            for name, p in inspect.signature(self.function).parameters.items()
            if name != "self"
        }

    @functools.cached_property
    def hints(self) -> dict[str, Any]:
        return typing.get_type_hints(self.function)

    @property
    def returns(self) -> Any:
        return self.hints.get("return", type(None))

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.route.split("/") if part.startswith("{")]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.function) or ""


def _operation(kind: Kind, route: str | None) -> Callable[[F], F]:
    def mark(function: F) -> F:
        parameters = list(inspect.signature(function).parameters.values())[1:]
        positional = [p.name for p in parameters if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        if positional:
            raise TypeError(
                f"{function.__qualname__}: interface operations take keyword-only arguments; "
                f"put {positional} after a `*`."
            )
        name = function.__name__
        spec = OperationSpec(name, kind, function, (route or name.replace("_", "-")).strip("/"))
        unknown = [p for p in spec.path_parameters if p not in spec.parameters]
        if unknown:
            raise TypeError(
                f"{function.__qualname__}: route parameters {unknown} are not arguments."
            )
        function.__operation__ = spec  # type: ignore[attr-defined]
        return function

    return mark


@overload
def query(function: F, *, route: str | None = None) -> F: ...


@overload
def query(function: None = None, *, route: str | None = None) -> Callable[[F], F]: ...


def query(function: F | None = None, *, route: str | None = None) -> F | Callable[[F], F]:
    """Mark an interface method as a query: it changes nothing, so a call may be retried.

    Over REST a query is a GET at `route` (default: the method name with dashes).
    """
    return (
        _operation("query", route)(function) if function is not None else _operation("query", route)
    )


@overload
def command(function: F, *, route: str | None = None) -> F: ...


@overload
def command(function: None = None, *, route: str | None = None) -> Callable[[F], F]: ...


def command(function: F | None = None, *, route: str | None = None) -> F | Callable[[F], F]:
    """Mark an interface method as a command: it changes something; never retried blindly.

    Over REST a command is a POST at `route` with its arguments as a JSON body.
    """
    return (
        _operation("command", route)(function)
        if function is not None
        else _operation("command", route)
    )


class Interface:
    """Base of a domain's interface declaration; see the module docstring.

    `domain` names the domain; `resources` and `operations` are the declarations, collected
    from the class body (and its bases) when the class is defined.
    """

    domain: ClassVar[str] = ""
    resources: ClassVar[dict[str, ResourceSpec[Any]]] = {}
    operations: ClassVar[dict[str, OperationSpec]] = {}
    declaration: ClassVar[type[Interface]]

    def __init_subclass__(cls, domain: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if domain is not None:
            if not domain.isidentifier():
                raise TypeError(f"{cls.__name__}: domain {domain!r} must be an identifier.")
            cls.domain = domain
            cls.declaration = cls
        resources = dict(cls.resources)
        operations = dict(cls.operations)
        for name, value in vars(cls).items():
            if isinstance(value, ResourceSpec):
                if value.interface is None:
                    value.interface = cls
                resources[name] = value
            spec = getattr(value, "__operation__", None)
            if isinstance(spec, OperationSpec) and name not in operations:
                operations[name] = spec
        cls.resources = resources
        cls.operations = operations

    @classmethod
    def missing(cls, implementation: object) -> list[str]:
        """What `implementation` leaves out of this interface (empty: it is complete)."""
        gaps = [
            f"resource {name!r}"
            for name in cls.resources
            if name not in getattr(implementation, "__dict__", {})
        ]
        for name, spec in cls.operations.items():
            method = getattr(type(implementation), name, None)
            if method is None or method is spec.function:
                gaps.append(f"operation {name!r}")
        return gaps


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return {f.name: typing.get_type_hints(cls)[f.name] for f in dataclasses.fields(cls)}
