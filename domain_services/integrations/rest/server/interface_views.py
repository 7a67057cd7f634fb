"""The REST server of any interface, derived from its declaration: routes, views and schema.

    urlpatterns = [path("api/v1/", include(interface_urls(Facilities)))]

or, for every domain this project serves locally (what `api_urls()` does):

    DOMAIN_SERVICES = {"facilities": {"BACKEND": "local", "SERVICE": "facilities.services..."}}

Each resource becomes a `ResourceViewSet` (list with the declared filters, orderings, search
and page limits; retrieve; lookup; create, update and delete when declared); each query a GET
and each command a POST at its route, its arguments checked against their type hints (a 400
naming the argument), its answer rendered from its return type. The OpenAPI schema says exactly
that, request and answer shapes, errors included. DTOs are rendered by a converter built once
per class, not by a serializer per request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.http import QueryDict
from django.urls import URLPattern, re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_dataclasses.serializers import DataclassSerializer

from domain_services.dto import dto_to_dict, to_json
from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.server.exceptions import flatten_errors
from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.integrations.rest.server.schema import field_schema
from domain_services.integrations.rest.server.views import (
    ErrorSerializer,
    ResourceViewSet,
    page_body,
    pagination,
    pagination_parameters,
    resource_urls,
    validated_input,
)
from domain_services.interfaces import Field, Interface, OperationSpec, ResourceSpec
from domain_services.page import Page
from domain_services.registry import services

NONE = type(None)
PAGE_PARAMETERS = frozenset({"page", "page_size"})


# -- types to DRF fields -------------------------------------------------------------------------


def drf_field(hint: Any, spec: Field | None = None, *, required: bool = True) -> serializers.Field:
    """The serializer field that accepts what a parameter typed `hint` accepts."""
    spec = spec or Field(required=required)
    options: dict[str, Any] = {"required": spec.required and required}
    if spec.help_text:
        options["help_text"] = spec.help_text
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not NONE]
        field = drf_field(inner[0] if len(inner) == 1 else Any, spec, required=required)
        field.allow_null = True
        return field
    if spec.nullable:
        options["allow_null"] = True
    if origin is typing.Literal:
        return serializers.ChoiceField(choices=list(typing.get_args(hint)), **options)
    if spec.choices is not None:
        return serializers.ChoiceField(choices=list(spec.choices), **options)
    if hint is uuid.UUID:
        return StrictUUIDField(**options)
    if hint is bool:
        return serializers.BooleanField(**options)
    bounds: dict[str, Any] = {
        key: value
        for key, value in (("min_value", spec.min_value), ("max_value", spec.max_value))
        if value is not None
    }
    if hint is int:
        return serializers.IntegerField(**bounds, **options)
    if hint is float:
        return serializers.FloatField(**bounds, **options)
    if hint is decimal.Decimal:
        return serializers.DecimalField(max_digits=None, decimal_places=None, **options)
    if hint is dt.datetime:
        return serializers.DateTimeField(**options)
    if hint is dt.date:
        return serializers.DateField(**options)
    if hint is str:
        text = {
            "max_length": spec.max_length,
            "min_length": spec.min_length,
            "allow_blank": spec.allow_blank,
            "trim_whitespace": False,
            **options,
        }
        if spec.format == "email":
            return serializers.EmailField(**text)
        if spec.pattern:
            return serializers.RegexField(spec.pattern, **text)
        return serializers.CharField(**text)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return serializers.ChoiceField(choices=[m.value for m in hint], **options)
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(hint)
        if args:
            options["child"] = drf_field(args[0])
        return serializers.ListField(**options)
    if origin is dict or hint is dict:
        return serializers.DictField(**options)
    return serializers.JSONField(**options)


def input_serializer(name: str, fields: Mapping[str, serializers.Field]) -> type:
    """A serializer class named `name` with these fields (request bodies and query strings)."""
    return type(name, (serializers.Serializer,), dict(fields))


_DTO_SERIALIZERS: dict[Any, type[serializers.Serializer]] = {}


def dto_serializer(dto: Any) -> type[serializers.Serializer]:
    """The serializer that documents `dto` in the schema (rendering does not use it)."""
    if dto not in _DTO_SERIALIZERS:
        meta = type("Meta", (), {"dataclass": dto})
        _DTO_SERIALIZERS[dto] = typing.cast(
            type[serializers.Serializer],
            extend_schema_serializer(component_name=_component_name(dto))(
                type(f"{dto.__name__}Serializer", (DataclassSerializer,), {"Meta": meta})
            ),
        )
    return _DTO_SERIALIZERS[dto]


def _component_name(dto: type) -> str:
    """`RoomDTO` -> `Room`; a second class of the same name gets its module's name in front,
    so two components never share a name."""
    name = dto.__name__.removesuffix("DTO")
    taken = {_component_names.get(other) for other in _DTO_SERIALIZERS if other is not dto}
    if name in taken:
        module = dto.__module__.rsplit(".", 1)[-1]
        name = "".join(part.capitalize() for part in module.split("_")) + name
    _component_names[dto] = name
    return name


_component_names: dict[Any, str] = {}


# -- rendering ------------------------------------------------------------------------------------


def render(value: Any) -> Any:
    """An operation's answer as JSON data: DTOs as objects, pages as page bodies."""
    if isinstance(value, Page):
        return page_body(value, [to_json(item) for item in value.items])
    return to_json(value)


# -- resources ------------------------------------------------------------------------------------


def resource_viewset(interface: type[Interface], spec: ResourceSpec[Any]) -> type[ResourceViewSet]:
    """The `ResourceViewSet` of one declared resource."""
    name = spec.name
    dto_name = spec.dto.__name__.removesuffix("DTO")

    def resource() -> Any:
        return getattr(services.get(interface.domain), name)

    def serializer(kind: str, fields: Mapping[str, Field]) -> type | None:
        if not fields:
            return None
        return input_serializer(
            f"{dto_name}{kind}Serializer",
            {n: drf_field(spec.input_type(n, f), f) for n, f in fields.items()},
        )

    attrs: dict[str, Any] = {
        "__module__": interface.__module__,
        "__doc__": f"The {name} of the {interface.domain} domain.",
        "resource": staticmethod(resource),
        "output_serializer": dto_serializer(spec.dto),
        "create_serializer": serializer("Create", spec.create_fields),
        "update_serializer": serializer("Update", spec.update_fields),
        "filter_fields": {n: drf_field(t, required=False) for n, t in spec.filters.items()},
        "ordering_fields": spec.ordering,
        "allow_delete": spec.deletable,
        "searchable": bool(spec.search),
        "default_page_size": spec.page_size,
        "max_page_size": spec.max_page_size,
        "render": lambda self, dto: dto_to_dict(dto),
        "render_many": lambda self, dtos: [dto_to_dict(dto) for dto in dtos],
    }
    return type(f"{dto_name}ViewSet", (ResourceViewSet,), attrs)


# -- operations -----------------------------------------------------------------------------------


def operation_view(interface: type[Interface], spec: OperationSpec) -> Callable[..., Any]:
    """The view of one declared query (GET) or command (POST)."""
    path_names = spec.path_parameters
    fields = {
        name: drf_field(spec.hints.get(name, Any), required=p.default is p.empty)
        for name, p in spec.parameters.items()
    }
    # A query answering pages takes `page` and `page_size` as every list does: same checks
    # (`pagination`), same documented bounds.
    pages = _returns_page(spec) and spec.is_query and set(fields) >= PAGE_PARAMETERS
    body_fields = {
        n: f
        for n, f in fields.items()
        if n not in path_names and not (pages and n in PAGE_PARAMETERS)
    }
    arguments = input_serializer(
        f"{_camel(spec.name)}{'Query' if spec.is_query else 'Request'}", body_fields
    )
    path_checks = {n: fields[n] for n in path_names}
    method = "GET" if spec.is_query else "POST"

    def view(request: Request, **path: str) -> Response:
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, field in path_checks.items():
            try:
                values[name] = field.run_validation(path[name])
            except serializers.ValidationError as exc:
                errors.update(flatten_errors({name: exc.detail}))
        query: QueryDict = request.query_params.copy()
        if pages:
            for name in PAGE_PARAMETERS:
                query.pop(name, None)
            try:
                values["page"], values["page_size"] = pagination(request.query_params)
            except ValidationFailed as exc:
                errors.update(exc.errors)
        if spec.is_query:
            values.update(_query_arguments(arguments, query, errors))
        elif not errors:
            values.update(validated_input(arguments, request.data))
        if errors:
            raise ValidationFailed(errors)
        result = getattr(services.get(interface.domain), spec.name)(**values)
        if result is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(render(result))

    view.__name__ = spec.name
    view.__doc__ = spec.doc
    return extend_schema(
        operation_id=f"{interface.domain}_{spec.name}",
        summary=spec.doc.splitlines()[0] if spec.doc else spec.name,
        description=spec.doc,
        parameters=[
            *(
                OpenApiParameter(n, _openapi_type(spec.hints.get(n)), OpenApiParameter.PATH)
                for n in path_names
            ),
            *(pagination_parameters() if pages else []),
            *(_query_parameter(n, f) for n, f in body_fields.items() if spec.is_query),
        ],
        request=None if spec.is_query else arguments,
        responses=_responses(spec),
        tags=[interface.domain],
    )(api_view([method])(view))


def _query_arguments(
    serializer_class: type, query: Any, errors: dict[str, list[str]]
) -> dict[str, Any]:
    fields = serializer_class().fields
    unknown = sorted(set(query) - set(fields))
    for name in unknown:
        errors[name] = [f"Unknown query parameter; allowed: {sorted(fields)}."]
    data = {
        name: query.getlist(name) if isinstance(field, serializers.ListField) else query.get(name)
        for name, field in fields.items()
        if name in query
    }
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        errors.update(flatten_errors(serializer.errors))
        return {}
    return dict(serializer.validated_data)


def _query_parameter(name: str, field: serializers.Field) -> OpenApiParameter:
    # The field's own schema (bounds, pattern, enum), as for a filter; a list is repeated.
    many = isinstance(field, serializers.ListField)
    return OpenApiParameter(
        name, field_schema(field), required=field.required, explode=True if many else None
    )


def _returns_page(spec: OperationSpec) -> bool:
    return spec.returns is Page or typing.get_origin(spec.returns) is Page


def _openapi_type(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not NONE]
        hint = inner[0] if len(inner) == 1 else str
    return {
        uuid.UUID: OpenApiTypes.UUID,
        int: OpenApiTypes.INT,
        bool: OpenApiTypes.BOOL,
        float: OpenApiTypes.FLOAT,
        dt.datetime: OpenApiTypes.DATETIME,
        dt.date: OpenApiTypes.DATE,
    }.get(hint, OpenApiTypes.STR)


def _responses(spec: OperationSpec) -> dict[int, Any]:
    errors = {code: ErrorSerializer for code in (400, 401, 404, 503)}
    if not spec.is_query:
        errors[409] = ErrorSerializer
    returns = spec.returns
    if returns is None or returns is NONE:
        return {204: None, **errors}
    origin = typing.get_origin(returns)
    args = typing.get_args(returns)
    if origin is Page or returns is Page:
        item = dto_serializer(args[0]) if args and dataclasses.is_dataclass(args[0]) else None
        page = input_serializer(
            f"{_camel(spec.name)}Page",
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "page_size": serializers.IntegerField(),
                "next": serializers.IntegerField(allow_null=True),
                "results": item(many=True) if item else serializers.ListField(),
            },
        )
        return {200: page, **errors}
    if origin in (list, tuple) and args and dataclasses.is_dataclass(args[0]):
        return {200: dto_serializer(args[0])(many=True), **errors}
    if isinstance(returns, type) and dataclasses.is_dataclass(returns):
        dto: type = returns
        return {200: dto_serializer(dto), **errors}
    return {200: OpenApiTypes.ANY, **errors}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# -- URLs -----------------------------------------------------------------------------------------


def interface_urls(interface: type[Interface]) -> list[URLPattern]:
    """The URL patterns of `interface`'s API, to include under `api/v1/`.

    Operations come first, so a route like `buildings/{uuid}/rooms` is not read as a building.
    """
    patterns: list[URLPattern] = []
    for spec in interface.operations.values():
        regex = "/".join(
            rf"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else part
            for part in spec.route.split("/")
        )
        patterns.append(
            re_path(
                rf"^{regex}/?$",
                operation_view(interface, spec),
                name=f"{interface.domain}-{spec.name.replace('_', '-')}",
            )
        )
    for resource in interface.resources.values():
        patterns += resource_urls(
            resource.path or resource.name, resource_viewset(interface, resource)
        )
    return patterns
