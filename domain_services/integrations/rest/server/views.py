"""`ResourceViewSet`: one resource of a domain (a `ModelService`) exposed under `/api/v1/`.

Thin views: an input serializer validates, the resource does the work, an output serializer
shapes the answer. A subclass only declares:

    class RoomViewSet(ResourceViewSet):
        resource = lambda: services.facilities.rooms      # a zero-argument callable
        output_serializer = RoomSerializer                # e.g. a DataclassSerializer of RoomDTO
        create_serializer = RoomCreateSerializer          # None: no POST
        update_serializer = RoomUpdateSerializer          # None: no PATCH
        filter_fields = {"floor": serializers.UUIDField()}
        ordering_fields = ("name",)
        allow_delete = True

    urlpatterns = [*resource_urls("rooms", RoomViewSet)]  # included under "api/v1/"

Input that is wrong in any way (bad JSON, unknown or mistyped fields, malformed UUIDs, missing
references, oversized pages, unknown query parameters) is a 400 naming the field. A JSON value
must have the type its field documents: `false` or `0` is not a UUID, `12` is not a string.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django.urls import URLPattern, re_path
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services.dto import dto_to_dict
from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.resources import LOOKUP_LIMIT
from domain_services.integrations.rest.server.exceptions import flatten_errors
from domain_services.integrations.rest.server.fields import StrictUUIDField, json_type_errors
from domain_services.integrations.rest.server.schema import field_schema
from domain_services.interfaces.resource import Resource
from domain_services.page import Page

LIST_PARAMETERS = frozenset({"page", "page_size", "ordering"})
SEARCH_MAX_LENGTH = 200
_INTEGER = re.compile(r"-?[0-9]+")
MAX_PAGE = 999_999_999  # nine digits: a page number is never a big integer


class LookupSerializer(serializers.Serializer):
    """`{"uuids": [...]}`: at most 1000 UUIDs per request."""

    uuids = serializers.ListField(
        child=StrictUUIDField(), allow_empty=True, max_length=LOOKUP_LIMIT
    )


class ErrorSerializer(serializers.Serializer):
    """Every error body: a code, a message, and per-field messages for validation errors."""

    code = serializers.CharField()
    detail = serializers.CharField()
    # DRF's metaclass moves declared fields out of the class, so these names shadow nothing.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    context = serializers.DictField(required=False)  # type: ignore[assignment]


def validated_input(
    serializer_class: type[serializers.BaseSerializer], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    """`data` validated by `serializer_class`; unknown or read-only fields are a 400 too.

    DRF ignores fields a serializer does not declare; here they are an error, so a typo in a
    field name is reported instead of silently doing nothing. Each value must have the JSON type
    its field documents (DRF would turn `12` into `"12"` and `false` into a UUID).
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed({"__all__": ["Expected a JSON object."]})
    serializer = serializer_class(data=data, partial=partial)
    fields = serializer.fields  # type: ignore[attr-defined]
    writable = {name for name, field in fields.items() if not field.read_only}
    unknown = sorted(str(name) for name in set(data) - writable)
    if unknown:
        raise ValidationFailed(
            {name: [f"Unknown field; allowed: {sorted(writable)}."] for name in unknown}
        )
    wrong_types = json_type_errors(fields, data)
    if wrong_types:
        raise ValidationFailed(wrong_types)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def page_body(page: Page[Any], results: list[Any]) -> dict[str, Any]:
    """The JSON body of one page: `{"count", "page", "page_size", "next", "results"}`."""
    return {
        "count": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "next": page.next_page,
        "results": results,
    }


def pagination(
    query: Mapping[str, Any], *, default_page_size: int = 50, max_page_size: int = 500
) -> tuple[int, int]:
    """`page` and `page_size` from the query string, checked (a 400 naming the parameter)."""
    errors: dict[str, list[str]] = {}
    page = _whole_number(query, "page", 1, errors)
    page_size = _whole_number(query, "page_size", default_page_size, errors)
    if "page_size" not in errors and page_size > max_page_size:
        errors["page_size"] = [f"Must be at most {max_page_size}."]
    if errors:
        raise ValidationFailed(errors)
    return page, page_size


def search_field() -> serializers.CharField:
    """What `?search=` takes: text up to `SEARCH_MAX_LENGTH` (NUL refused, as in any text)."""
    return serializers.CharField(
        max_length=SEARCH_MAX_LENGTH, allow_blank=True, trim_whitespace=False, required=False
    )


def pagination_parameters(*, max_page_size: int = 500) -> builtins.list[OpenApiParameter]:
    """`page` and `page_size` in the OpenAPI schema, with the bounds `pagination` enforces."""
    return [
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            description="Page number, from 1.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": max_page_size},
            description=f"Objects per page, at most {max_page_size}.",
        ),
    ]


_PAGE_SERIALIZERS: dict[type[serializers.BaseSerializer], type[serializers.Serializer]] = {}


def page_serializer(output: type[serializers.BaseSerializer]) -> type[serializers.Serializer]:
    """The serializer documenting one page of `output` (`page_body`): `<Name>Page`, made once
    per output serializer so every view that answers such pages shares one component."""
    if output not in _PAGE_SERIALIZERS:
        _PAGE_SERIALIZERS[output] = _make_page_serializer(output)
    return _PAGE_SERIALIZERS[output]


def _make_page_serializer(
    output: type[serializers.BaseSerializer],
) -> type[serializers.Serializer]:
    name = output.__name__.removesuffix("Serializer")
    return extend_schema_serializer(many=False, component_name=f"{name}Page")(
        type(
            f"{name}PageSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(min_value=0),
                "page": serializers.IntegerField(min_value=1),
                "page_size": serializers.IntegerField(min_value=1),
                "next": serializers.IntegerField(allow_null=True, min_value=2),
                "results": output(many=True),
            },
        )
    )


def _whole_number(
    query: Mapping[str, Any], name: str, default: int, errors: dict[str, list[str]]
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 9):
        # More digits than MAX_PAGE has: refused as text, before int() meets a huge number.
        errors[name] = [f"Must be a whole number >= 1, not {raw[:20]!r}."]
        return default
    value = int(raw)
    if value < 1:
        errors[name] = ["Must be a whole number >= 1."]
    return value


class ResourceViewSet(viewsets.ViewSet):
    """list / retrieve / create / partial_update / destroy / lookup on one `Resource`."""

    resource: ClassVar[Callable[[], Resource[Any]]]
    output_serializer: ClassVar[type[serializers.BaseSerializer] | None] = None
    create_serializer: ClassVar[type[serializers.BaseSerializer] | None] = None
    update_serializer: ClassVar[type[serializers.BaseSerializer] | None] = None
    filter_fields: ClassVar[Mapping[str, serializers.Field]] = {}
    ordering_fields: ClassVar[Sequence[str] | None] = None  # None: the resource decides
    extra_parameters: ClassVar[Sequence[str]] = ()  # query parameters a subclass reads itself
    allow_delete: ClassVar[bool] = False
    searchable: ClassVar[bool] = False  # `?search=text`: the resource's list takes `search`
    default_page_size: ClassVar[int] = 50
    max_page_size: ClassVar[int] = 500

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.output_serializer is not None:
            _document(cls)

    @classmethod
    def actions(cls) -> dict[str, dict[str, Any]]:
        """HTTP method -> action, for the collection, item and lookup URLs."""
        collection: dict[str, Any] = {"get": "list"}
        item: dict[str, Any] = {"get": "retrieve"}
        if cls.create_serializer is not None:
            collection["post"] = "create"
        if cls.update_serializer is not None:
            item["patch"] = "partial_update"
        if cls.allow_delete:
            item["delete"] = "destroy"
        return {"collection": collection, "item": item, "lookup": {"post": "lookup"}}

    def get_resource(self) -> Resource[Any]:
        """The resource this view serves (made by the `resource` callable)."""
        return type(self).resource()

    # -- actions -----------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        """One page of objects: `?page=&page_size=&ordering=a,-b&<filter>=v`."""
        query = request.query_params
        page, page_size = pagination(
            query, default_page_size=self.default_page_size, max_page_size=self.max_page_size
        )
        filters = self.parse_filters(query)
        ordering = self.parse_ordering(query.get("ordering"))
        search = self.parse_search(query.get("search")) if self.searchable else None
        result = self.get_resource().list(
            filters=filters,
            ordering=ordering,
            page=page,
            page_size=page_size,
            **({"search": search} if search else {}),
        )
        return Response(page_body(result, self.render_many(result.items)))

    def retrieve(self, request: Request, uuid: str) -> Response:
        """One object by UUID."""
        return Response(self.render(self.get_resource().get(uuid)))

    @action(detail=False, methods=["post"])
    def lookup(self, request: Request) -> Response:
        """The objects with the given UUIDs that exist (`get_many`): `{"results": [...]}`."""
        data = validated_input(LookupSerializer, request.data)
        found = self.get_resource().get_many(data["uuids"])
        return Response({"results": self.render_many(found.values())})

    def create(self, request: Request) -> Response:
        """Create an object from the fields of `create_serializer`."""
        if self.create_serializer is None:
            raise MethodNotAllowed(request.method or "POST")
        fields = validated_input(self.create_serializer, request.data)
        dto = self.get_resource().create(**fields)
        return Response(self.render(dto), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str) -> Response:
        """Change some fields of an object (those of `update_serializer`)."""
        if self.update_serializer is None:
            raise MethodNotAllowed(request.method or "PATCH")
        fields = validated_input(self.update_serializer, request.data, partial=True)
        return Response(self.render(self.get_resource().update(uuid, **fields)))

    def destroy(self, request: Request, uuid: str) -> Response:
        """Delete an object."""
        if not self.allow_delete:
            raise MethodNotAllowed(request.method or "DELETE")
        self.get_resource().delete(uuid)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # -- input and output --------------------------------------------------------------------

    def parse_filters(self, query: Any) -> dict[str, Any]:
        """The declared filters from the query string; an undeclared parameter is a 400.

        A value with commas is a list ("any of"), except for text fields, whose commas are
        data: send those as repeated parameters (`?sku=a&sku=b`).
        """
        filters: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name in query:
            if name in LIST_PARAMETERS or name in self.extra_parameters:
                continue
            if name == "search" and self.searchable:
                continue
            field = self.filter_fields.get(name)
            if field is None:
                allowed = sorted(self.filter_fields)
                errors[name] = [f"Unknown query parameter; filters allowed: {allowed}."]
                continue
            raw = query.getlist(name)
            if len(raw) == 1 and self.splits_commas(field) and "," in raw[0]:
                raw = raw[0].split(",")
            try:
                values = [self._filter_value(field, value) for value in raw]
            except DRFValidationError as exc:
                errors[name] = flatten_errors(exc.detail).popitem()[1]
                continue
            filters[name] = values[0] if len(values) == 1 else values
        if errors:
            raise ValidationFailed(errors)
        return filters

    @staticmethod
    def parse_search(raw: str | None) -> str | None:
        """`?search=` checked like any text input (at most 200 characters, no NUL)."""
        if raw is None:
            return None
        try:
            return str(search_field().run_validation(raw)) or None
        except DRFValidationError as exc:
            raise ValidationFailed({"search": flatten_errors(exc.detail).popitem()[1]}) from None

    def parse_ordering(self, raw: str | None) -> builtins.list[str] | None:
        """`a,-b` as keys (empty: the default order); when `ordering_fields` is declared, any
        other key, a space or an empty key is a 400, exactly as `ordering_pattern` documents."""
        if not raw:
            return None
        keys = raw.split(",")
        if self.ordering_fields is not None:
            allowed = set(self.ordering_fields)
            bad = [key for key in keys if key.removeprefix("-") not in allowed]
            if bad:
                raise ValidationFailed.for_field(
                    "ordering", f"Cannot order by {bad[:10]}; allowed: {sorted(allowed)}."
                )
        else:
            keys = [key.strip() for key in keys if key.strip()]
        return keys or None

    @classmethod
    def ordering_pattern(cls) -> str | None:
        """The regular expression of the `ordering` values `parse_ordering` accepts."""
        if cls.ordering_fields is None:
            return None
        key = "-?(?:" + "|".join(re.escape(name) for name in cls.ordering_fields) + ")"
        return f"^(?:{key}(?:,{key})*)?$"

    def render(self, dto: Any) -> Any:
        """One DTO as JSON data, through `output_serializer`."""
        if self.output_serializer is None:
            return dto_to_dict(dto)
        return self.output_serializer(dto).data

    def render_many(self, dtos: Iterable[Any]) -> builtins.list[Any]:
        """DTOs as a JSON list, through `output_serializer`."""
        if self.output_serializer is None:
            return [dto_to_dict(dto) for dto in dtos]
        return self.output_serializer(list(dtos), many=True).data

    @staticmethod
    def _filter_value(field: serializers.Field, value: str) -> Any:
        if value == "" and field.allow_null:
            return None
        # As the schema documents them: DRF alone would also take `1.0` or `yes`.
        if isinstance(field, serializers.BooleanField) and value not in ("true", "false"):
            raise DRFValidationError("Must be true or false.")
        if isinstance(field, serializers.IntegerField) and not _INTEGER.fullmatch(value):
            raise DRFValidationError("Must be a whole number.")
        return field.run_validation(value)

    @staticmethod
    def splits_commas(field: serializers.Field) -> bool:
        """Whether a filter value with commas means "any of" (not for text, whose commas are
        data)."""
        return not isinstance(field, serializers.CharField)


def resource_urls(path: str, viewset: type[ResourceViewSet]) -> builtins.list[URLPattern]:
    """The URL patterns of one resource at `<path>/`, to include under `api/v1/`.

    A trailing slash is optional everywhere, so a client never meets a redirect; the client
    sends `<path>/` for the collection and `<path>/<uuid>` for an item. A malformed UUID
    reaches the view and is a 400 naming `uuid`.
    """
    path = path.strip("/")
    name = path.replace("/", "-")
    actions = viewset.actions()
    return [
        re_path(rf"^{path}/?$", viewset.as_view(actions["collection"]), name=f"{name}-list"),
        re_path(rf"^{path}/lookup/?$", viewset.as_view(actions["lookup"]), name=f"{name}-lookup"),
        re_path(
            rf"^{path}/(?P<uuid>[^/]+)/?$",
            viewset.as_view(actions["item"]),
            name=f"{name}-detail",
        ),
    ]


# -- OpenAPI -----------------------------------------------------------------------------------
# Errors every operation can answer (400, 401, 403, 404, 503...) are added by
# `schema.document_api`; here, what is particular to a resource.


def filter_parameter(
    name: str, field: serializers.Field, *, splits_commas: bool
) -> OpenApiParameter:
    """A filter in the OpenAPI schema: the field's own schema, or a comma-separated list of it."""
    schema = field_schema(field)
    if not splits_commas:
        return OpenApiParameter(name, schema, description="Equality filter.")
    return OpenApiParameter(
        name,
        {"type": "array", "items": schema, "minItems": 1},
        style="form",
        explode=False,
        description="Equality filter; comma-separated values mean any of them.",
    )


def _document(cls: type[ResourceViewSet]) -> None:
    """Give each action of `cls` its request, responses and parameters in the OpenAPI schema."""
    output = cls.output_serializer
    assert output is not None
    name = output.__name__.removesuffix("Serializer")
    results = extend_schema_serializer(component_name=f"{name}LookupResults")(
        type(
            f"{name}LookupResultsSerializer",
            (serializers.Serializer,),
            {"results": output(many=True)},
        )
    )
    pattern = cls.ordering_pattern()
    ordering_schema: dict[str, Any] = {"type": "string"}
    if pattern is not None:
        ordering_schema["pattern"] = pattern
    list_parameters = [
        *pagination_parameters(max_page_size=cls.max_page_size),
        OpenApiParameter(
            "ordering",
            ordering_schema,
            description="Comma-separated keys, `-` for descending"
            + (f"; of {sorted(cls.ordering_fields)}." if cls.ordering_fields else "."),
        ),
        *(
            filter_parameter(field_name, field, splits_commas=cls.splits_commas(field))
            for field_name, field in cls.filter_fields.items()
        ),
        *(
            [
                OpenApiParameter(
                    "search",
                    field_schema(search_field()),
                    description="Text the searchable fields contain (any case).",
                )
            ]
            if cls.searchable
            else []
        ),
    ]
    conflict = {409: ErrorSerializer}
    extend_schema_view(
        list=extend_schema(parameters=list_parameters, responses={200: page_serializer(output)}),
        retrieve=extend_schema(responses={200: output}),
        lookup=extend_schema(
            request=LookupSerializer,
            responses={200: results},
            description=f"get_many: the objects with these UUIDs (at most {LOOKUP_LIMIT}).",
        ),
        create=extend_schema(request=cls.create_serializer, responses={201: output, **conflict}),
        partial_update=extend_schema(
            request=cls.update_serializer, responses={200: output, **conflict}
        ),
        destroy=extend_schema(responses={204: None, **conflict}),
    )(cls)
