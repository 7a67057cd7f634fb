"""What the REST tests add to `tests.settings`.

`tests/settings.py` ends with:

    from tests.rest.settings_extra import *  # noqa: E402, F403
    INSTALLED_APPS = [*INSTALLED_APPS, *REST_INSTALLED_APPS]  # noqa: F405
"""

from __future__ import annotations

from domain_services.integrations.rest.defaults import (
    API_ERROR_MIDDLEWARE,
    REQUEST_ID_MIDDLEWARE,
    REST_APPS,
    rest_framework_settings,
)

SERVICE_TOKEN = "orders-service-token-for-tests-0123456789"

REST_INSTALLED_APPS = ["django.contrib.sessions", *REST_APPS]

MIDDLEWARE = [
    REQUEST_ID_MIDDLEWARE,
    API_ERROR_MIDDLEWARE,
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "tests.rest.urls"
STATIC_URL = "/static/"
ALLOWED_HOSTS = ["*"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

_rest = rest_framework_settings(title="Catalog test API")
REST_FRAMEWORK = _rest["REST_FRAMEWORK"]
SPECTACULAR_SETTINGS = _rest["SPECTACULAR_SETTINGS"]

DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"orders": SERVICE_TOKEN}}
