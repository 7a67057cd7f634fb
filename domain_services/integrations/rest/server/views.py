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
references, oversized pages, unknown query parameters) is a 400 naming the field.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django.urls import URLPattern, re_path
from drf_spectacular.types import OpenApiTypes
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
from domain_services.interfaces.resource import Resource
from domain_services.service import Page

LIST_PARAMETERS = frozenset({"page", "page_size", "ordering"})


class LookupSerializer(serializers.Serializer):
    """`{"uuids": [...]}`: at most 1000 UUIDs per request."""

    uuids = serializers.ListField(
        child=serializers.UUIDField(), allow_empty=True, max_length=LOOKUP_LIMIT
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
    field name is reported instead of silently doing nothing.
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


def _whole_number(
    query: Mapping[str, Any], name: str, default: int, errors: dict[str, list[str]]
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 9):
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
        result = self.get_resource().list(
            filters=filters, ordering=ordering, page=page, page_size=page_size
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
            field = self.filter_fields.get(name)
            if field is None:
                allowed = sorted(self.filter_fields)
                errors[name] = [f"Unknown query parameter; filters allowed: {allowed}."]
                continue
            raw = query.getlist(name)
            if len(raw) == 1 and not isinstance(field, serializers.CharField) and "," in raw[0]:
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

    def parse_ordering(self, raw: str | None) -> builtins.list[str] | None:
        """`a,-b` as keys; when `ordering_fields` is declared, others are a 400."""
        if raw is None:
            return None
        keys = [key.strip() for key in raw.split(",") if key.strip()]
        if self.ordering_fields is not None:
            allowed = set(self.ordering_fields)
            bad = [key for key in keys if key.lstrip("-") not in allowed]
            if bad:
                raise ValidationFailed.for_field(
                    "ordering", f"Cannot order by {bad}; allowed: {sorted(allowed)}."
                )
        return keys or None

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
        return field.run_validation(value)


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

_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}
_UUID_PATH = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)
_FIELD_TYPES: tuple[tuple[type[serializers.Field], OpenApiTypes], ...] = (
    (serializers.UUIDField, OpenApiTypes.UUID),
    (serializers.BooleanField, OpenApiTypes.BOOL),
    (serializers.IntegerField, OpenApiTypes.INT),
    (serializers.DateTimeField, OpenApiTypes.DATETIME),
    (serializers.DateField, OpenApiTypes.DATE),
)


def _document(cls: type[ResourceViewSet]) -> None:
    """Give each action of `cls` its request, responses and parameters in the OpenAPI schema."""
    output = cls.output_serializer
    assert output is not None
    name = output.__name__.removesuffix("Serializer")
    page = extend_schema_serializer(many=False, component_name=f"{name}Page")(
        type(
            f"{name}PageSerializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "page": serializers.IntegerField(),
                "page_size": serializers.IntegerField(),
                "next": serializers.IntegerField(allow_null=True),
                "results": output(many=True),
            },
        )
    )
    results = extend_schema_serializer(component_name=f"{name}LookupResults")(
        type(
            f"{name}LookupResultsSerializer",
            (serializers.Serializer,),
            {"results": output(many=True)},
        )
    )
    list_parameters = [
        OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
        OpenApiParameter(
            "page_size",
            OpenApiTypes.INT,
            description=f"Objects per page, at most {cls.max_page_size}.",
        ),
        OpenApiParameter(
            "ordering",
            OpenApiTypes.STR,
            description="Comma-separated keys, `-` for descending"
            + (f"; one of {sorted(cls.ordering_fields)}." if cls.ordering_fields else "."),
        ),
        *(
            OpenApiParameter(
                field_name,
                next((t for k, t in _FIELD_TYPES if isinstance(field, k)), OpenApiTypes.STR),
                description="Equality filter; comma-separated values mean any of them.",
            )
            for field_name, field in cls.filter_fields.items()
        ),
    ]
    detail_errors = {**_ERRORS, 404: ErrorSerializer}
    write_errors = {**detail_errors, 409: ErrorSerializer}
    extend_schema_view(
        list=extend_schema(parameters=list_parameters, responses={200: page, **_ERRORS}),
        retrieve=extend_schema(parameters=[_UUID_PATH], responses={200: output, **detail_errors}),
        lookup=extend_schema(
            request=LookupSerializer,
            responses={200: results, **_ERRORS},
            description=f"get_many: the objects with these UUIDs (at most {LOOKUP_LIMIT}).",
        ),
        create=extend_schema(
            request=cls.create_serializer, responses={201: output, **write_errors}
        ),
        partial_update=extend_schema(
            parameters=[_UUID_PATH],
            request=cls.update_serializer,
            responses={200: output, **write_errors},
        ),
        destroy=extend_schema(parameters=[_UUID_PATH], responses={204: None, **write_errors}),
    )(cls)
