"""URL patterns every service exposes besides its API: OpenAPI schema, Swagger UI, health.

    urlpatterns = [
        path("api/v1/", include("facilities.api.urls")),
        *service_urls(),   # /api/v1/ (the API root), /api/schema/, /api/docs/, /health,
    ]                      # references, and / (where those are)

The schema and the docs are public (they describe the API, they return no data); Swagger UI's
assets come from drf-spectacular-sidecar, served as static files, never from a CDN. The API root
lists the resources (authenticated); `/` lists only the entry points above, so a visitor never
meets Django's debug page of every URL pattern. Errors under `/api/` are JSON in every case
(`APIErrorMiddleware`, in `MIDDLEWARE`).
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from domain_services.integrations.rest.server.health import health_view
from domain_services.integrations.rest.server.references import protecting_references_view
from domain_services.integrations.rest.server.root import APIRootView, service_index


def api_docs_urls(prefix: str = "api/") -> list[URLPattern]:
    """`<prefix>schema/` (OpenAPI 3) and `<prefix>docs/` (Swagger UI with local assets)."""
    return [
        path(
            f"{prefix}schema/",
            SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
            name="schema",
        ),
        path(
            f"{prefix}docs/",
            SpectacularSwaggerView.as_view(
                url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
            ),
            name="swagger-ui",
        ),
    ]


def health_urls() -> list[URLPattern]:
    """`/health` (and `/health/`)."""
    return [
        path("health", health_view, name="health"),
        path("health/", health_view),
    ]


def reference_urls(prefix: str = "api/v1/") -> list[URLPattern]:
    """`<prefix>references/protecting`, which domains that delete what we refer to ask."""
    return [
        path(
            f"{prefix}references/protecting",
            protecting_references_view,
            name="protecting-references",
        )
    ]


def api_root_urls(prefix: str = "api/v1/") -> list[URLPattern]:
    """`<prefix>` itself: the resources served under it, with their URLs (`api-root`)."""
    return [path(prefix, APIRootView.as_view(), name="api-root")]


def index_urls() -> list[URLPattern]:
    """`/`: links to the API root, the schema, the docs and `/health` (`service-index`)."""
    return [path("", service_index, name="service-index")]


def service_urls() -> list[URLPattern]:
    """Everything but the domain's own API: its root, the docs URLs, `/health`, the reference
    check, and `/`. Listed after the project's own patterns, so a project's `/` wins."""
    return [
        *api_root_urls(),
        *api_docs_urls(),
        *health_urls(),
        *reference_urls(),
        *index_urls(),
    ]
