"""Django settings for the library's own tests.

PostgreSQL when DATABASE_URL is set (CI sets it), a SQLite file otherwise.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "domain_services",
    "tests.catalog",
    "tests.orders",
    "tests.backed",
    "tests.ledger.apps.LedgerConfig",
]

DOMAIN_SERVICES = {
    "catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.services.ProductService"},
}

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///tests.sqlite3"), conn_max_age=0
    )
}

MONGODB = {"URL": os.environ.get("MONGODB_URL", ""), "DATABASE": "domain_services_tests"}

# The REST layer's server side (catalog API under tests.rest) for the REST tests.
from tests.rest.settings_extra import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, *REST_INSTALLED_APPS]  # noqa: F405
