"""The REST client of any interface, derived from its declaration: no client class per domain.

    facilities = client_for(Facilities, RestClient("facilities", "http://facilities:8000", ...))
    facilities.rooms.get(uuid)                          # GET  /api/v1/rooms/<uuid>
    facilities.rooms_of_building(building_uuid=uuid)    # GET  /api/v1/buildings/<uuid>/rooms

Each resource is a `ResourceClient` at its declared path; each query is a GET (retried, it is
safe) with its arguments in the route and the query string; each command a POST with its
arguments as a JSON body (never retried). Answers come back as the declared return type: a DTO,
a list or `Page` of DTOs, a plain value or None. The `rest` backend builds these.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from domain_services.dto import dto_from_dict, to_json
from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.client import RestClient, page_from_body, results_from_body
from domain_services.integrations.rest.resources import ResourceClient, query_value
from domain_services.interfaces import Interface, OperationSpec
from domain_services.page import Page
from domain_services.uuids import parse_uuid

MANY = (list, tuple, set, frozenset)
IFace = TypeVar("IFace", bound=Interface)


def client_for(interface: type[IFace], rest: RestClient) -> IFace:
    """An object implementing `interface` over `rest`."""
    return client_class(interface)(rest)  # type: ignore[call-arg]


_CLIENT_CLASSES: dict[type, type] = {}


def client_class(interface: type[IFace]) -> type[IFace]:
    """The derived client class of `interface` (made once per interface)."""
    if interface not in _CLIENT_CLASSES:
        _CLIENT_CLASSES[interface] = _make_client_class(interface)
    return _CLIENT_CLASSES[interface]


def _make_client_class(interface: type[IFace]) -> type[IFace]:

    def __init__(self: Any, rest: RestClient) -> None:
        self.rest = rest
        for name, spec in interface.resources.items():
            resource = ResourceClient(rest, spec.path or name, spec.dto, declaration=spec)
            setattr(self, name, resource)

    namespace: dict[str, Any] = {
        "__init__": __init__,
        "__doc__": f"{interface.__name__} served over REST by the {interface.domain} service.",
        "__module__": interface.__module__,
        "__repr__": lambda self: f"<{interface.__name__} over REST at {self.rest.base_url}>",
    }
    for name, spec in interface.operations.items():
        namespace[name] = _remote(spec)
    return types.new_class(
        f"{interface.__name__}Client", (interface,), {}, lambda ns: ns.update(namespace)
    )


def _remote(spec: OperationSpec) -> Callable[..., Any]:
    decode = _decoder(spec.returns)
    path_names = spec.path_parameters

    def call(self: Any, **kwargs: Any) -> Any:
        unknown = sorted(set(kwargs) - set(spec.parameters))
        if unknown:
            raise TypeError(f"{spec.name}() got unexpected keyword arguments {unknown}")
        values = {
            name: kwargs.get(name, p.default)
            for name, p in spec.parameters.items()
            if name in kwargs or p.default is not p.empty
        }
        missing = [
            n for n, p in spec.parameters.items() if p.default is p.empty and n not in kwargs
        ]
        if missing:
            raise TypeError(f"{spec.name}() missing keyword arguments {missing}")
        route = spec.route
        for name in path_names:
            route = route.replace("{" + name + "}", _path_value(name, values.pop(name)))
        rest: RestClient = self.rest
        if spec.is_query:
            params = [
                (name, query_value(name, item))
                for name, value in values.items()
                if value is not None
                for item in (
                    value if isinstance(value, list | tuple | set | frozenset) else [value]
                )
            ]
            body = rest.request("GET", route, params=params)
        else:
            body = rest.request("POST", route, json=to_json(values), idempotent=False)
        return decode(body, rest, route)

    call.__name__ = spec.name
    call.__qualname__ = spec.name
    call.__doc__ = spec.doc
    return call


def _path_value(name: str, value: Any) -> str:
    if isinstance(value, bool) or (not isinstance(value, str | int) and not hasattr(value, "hex")):
        raise ValidationFailed.for_field(name, f"{value!r} cannot be part of a URL.")
    if hasattr(value, "hex") or name.endswith("uuid"):
        return str(parse_uuid(value, field=name))
    text = str(value)
    if not text or "/" in text or text in (".", ".."):
        raise ValidationFailed.for_field(name, f"{value!r} cannot be part of a URL.")
    return text


Decoder = Callable[[Any, RestClient, str], Any]


def _decoder(hint: Any) -> Decoder:
    """How to turn an operation's JSON answer into its declared return type."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is None or hint is type(None):
        return lambda body, rest, route: None
    item: type = args[0] if args else dict
    if origin is Page or hint is Page:
        return lambda body, rest, route: page_from_body(item, body, rest, route)
    if origin in (list, tuple) and dataclasses.is_dataclass(item):
        return lambda body, rest, route: [
            dto_from_dict(item, one) for one in results_from_body(body, rest, route)
        ]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls: type = hint
        return lambda body, rest, route: dto_from_dict(cls, body)
    return lambda body, rest, route: body
