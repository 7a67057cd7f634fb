"""The library: the authors and books domains in one process, the monolith."""

import os
from pathlib import Path

from domain_services.integrations.rest import defaults as rest

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-only-for-this-tutorial")
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *rest.REST_APPS,  # DRF, the OpenAPI schema and its docs, token checks
    "domain_services",
    "authors",
    "books",
]
MIDDLEWARE = [
    rest.REQUEST_ID_MIDDLEWARE,  # an X-Request-ID on every request, log line and call
    rest.API_ERROR_MIDDLEWARE,  # JSON errors under /api/, 503 while a database is down
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "static/"
USE_TZ = True
REST_FRAMEWORK = rest.REST_FRAMEWORK
SPECTACULAR_SETTINGS = {**rest.SPECTACULAR_SETTINGS, "TITLE": "Library API"}

# One database per domain, even in one process: moving a domain out moves its database.
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "default.sqlite3"},
    "authors": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "authors.sqlite3"},
    "books": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "books.sqlite3"},
}
DATABASE_ROUTERS = ["domain_services.routers.DomainRouter"]
DOMAIN_SERVICES_DATABASES = {"authors": "authors", "books": "books"}

# Where each domain runs: both here.
DOMAIN_SERVICES = {
    "authors": {"BACKEND": "local", "SERVICE": "authors.services.AuthorsDomain"},
    "books": {"BACKEND": "local", "SERVICE": "books.services.BooksDomain"},
}
# Who may call the API, each caller with its own token: `Authorization: Bearer <token>`.
DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {"frontend": os.environ["FRONTEND_TOKEN"]}}
