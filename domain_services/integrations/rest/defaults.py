"""The settings a project needs to serve its domain over REST, so projects do not copy them.

    from domain_services.integrations.rest.defaults import (
        API_ERROR_MIDDLEWARE, REST_APPS, REQUEST_ID_MIDDLEWARE, rest_framework_settings,
    )

    INSTALLED_APPS = [..., *REST_APPS]
    MIDDLEWARE = [REQUEST_ID_MIDDLEWARE, API_ERROR_MIDDLEWARE, ...]
    globals().update(rest_framework_settings(title="facilities service API"))
    DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"devices": os.environ["DEVICES_TOKEN"]}}

Only strings here: importing this module from a settings file imports no DRF code.
"""

from __future__ import annotations

from typing import Any

REST_APPS = [
    "domain_services.integrations.rest",  # its system checks: service tokens (E011, E012)
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

REQUEST_ID_MIDDLEWARE = "domain_services.integrations.rest.request_id.RequestIDMiddleware"

_SERVER = "domain_services.integrations.rest.server"

# JSON errors under /api/ whoever raised them, 503 for a database outage, 413 for a large body.
API_ERROR_MIDDLEWARE = f"{_SERVER}.middleware.APIErrorMiddleware"

REST_FRAMEWORK: dict[str, Any] = {
    # Services first: its 401 challenge (`Bearer`) is what an anonymous caller is told.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        f"{_SERVER}.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting limit and no lone surrogates.
    "DEFAULT_PARSER_CLASSES": [f"{_SERVER}.parsers.JSONParser"],
    "EXCEPTION_HANDLER": f"{_SERVER}.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NON_FIELD_ERRORS_KEY": "__all__",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Domain service API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Closed request bodies, UUID path parameters and the error answers of every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        f"{_SERVER}.schema.document_api",
    ],
}


def rest_framework_settings(*, title: str, version: str = "1.0.0") -> dict[str, Any]:
    """`REST_FRAMEWORK` and `SPECTACULAR_SETTINGS` for a service, as settings to merge."""
    return {
        "REST_FRAMEWORK": {
            key: list(value) if isinstance(value, list) else value
            for key, value in REST_FRAMEWORK.items()
        },
        "SPECTACULAR_SETTINGS": {
            key: list(value) if isinstance(value, list) else value
            for key, value in {**SPECTACULAR_SETTINGS, "TITLE": title, "VERSION": version}.items()
        },
    }
