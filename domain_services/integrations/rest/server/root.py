"""The API's front doors: `/api/v1/` lists the resources, `/` says where everything is.

Both are read from the URL patterns, so they list what is served, not what someone remembered to
write down: a resource is a pattern named `<name>-list` (what `resource_urls` makes) under the
root's own path.

    GET /api/v1/   (authenticated)
    {"resources": {"devices": "http://host/api/v1/devices/", ...},
     "schema": "http://host/api/schema/", "docs": "http://host/api/docs/"}

    GET /          (public: links only, no data)
    {"api": "http://host/api/v1/", "schema": ..., "docs": ..., "health": ...}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    get_resolver,
    get_urlconf,
    reverse,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from domain_services.errors import ValidationFailed

RESOURCE_SUFFIX = "-list"
# URL names of the entry points, as `api_root_urls`, `api_docs_urls` and `health_urls` name them.
LINKS = {"api": "api-root", "schema": "schema", "docs": "swagger-ui", "health": "health"}


def named_urls() -> Iterator[str]:
    """The reversible name of every named URL pattern (`namespace:name` inside namespaces) of
    the URLconf in use."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    yield from walk(get_resolver(get_urlconf()).url_patterns, "")


def resources_under(prefix: str) -> dict[str, str]:
    """Resource name -> collection path, for every `<name>-list` pattern under `prefix`."""
    found: dict[str, str] = {}
    for name in named_urls():
        if not name.endswith(RESOURCE_SUFFIX):
            continue
        try:
            path = reverse(name)
        except NoReverseMatch:
            continue  # needs arguments: not a collection
        if path.startswith(prefix) and path != prefix:
            resource = path[len(prefix) :].strip("/")
            found.setdefault(resource, path.rstrip("/") + "/")
    return dict(sorted(found.items()))


def links(request: HttpRequest, **names: str) -> dict[str, str]:
    """Absolute URLs of the named patterns that exist in this project."""
    found = {}
    for key, name in names.items():
        try:
            found[key] = request.build_absolute_uri(reverse(name))
        except NoReverseMatch:
            continue
    return found


class APIRootView(APIView):
    """`GET /api/v1/`: the resources of this API with their URLs, and where its schema is."""

    @extend_schema(
        summary="The API's resources",
        responses=inline_serializer(
            "APIRoot",
            {
                "resources": serializers.DictField(
                    child=serializers.URLField(), help_text="Resource name -> its collection URL."
                ),
                "schema": serializers.URLField(required=False),
                "docs": serializers.URLField(required=False),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        if request.query_params:
            # Like every list of this API: a parameter it does not take is an error, not ignored.
            raise ValidationFailed(
                {name: ["Unknown query parameter."] for name in sorted(request.query_params)}
            )
        resources = resources_under(request.path)
        body: dict[str, Any] = {
            "resources": {
                name: request.build_absolute_uri(path) for name, path in resources.items()
            }
        }
        body.update(links(request, schema=LINKS["schema"], docs=LINKS["docs"]))
        return Response(body)


@never_cache
@require_GET
def service_index(request: HttpRequest) -> JsonResponse:
    """`GET /`: where the API, its schema and docs, and the health check are. No data."""
    return JsonResponse(links(request, **LINKS))
