"""URL patterns every service exposes besides its API: OpenAPI schema, Swagger UI, health.

    urlpatterns = [
        path("admin/", admin.site.urls),
        *service_urls(),   # the APIs of the local domains (from DOMAIN_SERVICES), /api/v1/,
    ]                      # /api/schema/, /api/docs/, /health, references, and /

The schema and the docs are public (they describe the API, they return no data); Swagger UI's
assets come from drf-spectacular-sidecar, served as static files, never from a CDN. The API root
lists the resources (authenticated); `/` lists only the entry points above, so a visitor never
meets Django's debug page of every URL pattern. Errors under `/api/` are JSON in every case
(`APIErrorMiddleware`, in `MIDDLEWARE`).
"""

from __future__ import annotations

from importlib import import_module

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from domain_services.integrations.rest.server.health import health_view
from domain_services.integrations.rest.server.interface_views import interface_urls
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


def api_urls(prefix: str = "api/v1/") -> list[URLPattern | URLResolver]:
    """The APIs of the domains this project serves, derived from `DOMAIN_SERVICES`.

    Every `local` domain whose service implements an `Interface` is served under `prefix`: its
    `URLS` module first (custom views, which win over derived ones at the same path), then the
    routes derived from its interface. A domain that becomes `rest` stops being served here
    with no change to any `urls.py`.
    """
    from domain_services.registry import services

    patterns: list[URLPattern | URLResolver] = []
    for domain in services.domains():
        backend = services.backend(domain)
        if not backend.serves_here():
            continue
        custom: list[URLPattern | URLResolver] = []
        module = backend.urls()
        if module:
            custom = list(import_module(module).urlpatterns)
            patterns.append(path(prefix, include(custom)))
        interface = backend.interface()
        if interface is not None:
            # A custom view at a derived route replaces it (one handler per route).
            taken = {str(p.pattern) for p in custom}
            derived = [p for p in interface_urls(interface) if str(p.pattern) not in taken]
            patterns.append(path(prefix, include(derived)))
    return patterns


def service_urls() -> list[URLPattern | URLResolver]:
    """Everything a service serves besides its admin: the APIs of its local domains
    (`api_urls`), the API root, the docs URLs, `/health`, the reference check, and `/`.
    Listed after the project's own patterns, so a project's `/` wins."""
    return [
        *api_urls(),
        *api_root_urls(),
        *api_docs_urls(),
        *health_urls(),
        *reference_urls(),
        *index_urls(),
    ]
