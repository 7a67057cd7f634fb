"""The books service: the monolith's settings, less the authors domain, which it calls."""

import os

from .settings import *  # noqa: F403
from .settings import BASE_DIR, DATABASES, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "authors"]
DATABASES = {
    "default": {**DATABASES["default"], "NAME": BASE_DIR / "books_default.sqlite3"},
    "books": DATABASES["books"],
}
DOMAIN_SERVICES_DATABASES = {"books": "books"}

DOMAIN_SERVICES = {
    "books": {"BACKEND": "local", "SERVICE": "books.services.BooksDomain"},
    # Authors over REST: the client is derived from the authors domain's interface.
    "authors": {
        "BACKEND": "rest",
        "URL": "http://127.0.0.1:8001",
        "TOKEN": os.environ["AUTHORS_SERVICE_TOKEN"],
        "INTERFACE": "authors.interface.Authors",
    },
}
DOMAIN_SERVICES_API = {
    "SERVICE_TOKENS": {
        "frontend": os.environ["FRONTEND_TOKEN"],
        "authors": os.environ["BOOKS_SERVICE_TOKEN"],
    }
}
