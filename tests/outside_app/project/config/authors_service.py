"""The authors service: the monolith's settings, less the books domain, which it calls."""

import os

from .settings import *  # noqa: F403
from .settings import BASE_DIR, DATABASES, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "books"]
DATABASES = {
    "default": {**DATABASES["default"], "NAME": BASE_DIR / "authors_default.sqlite3"},
    "authors": DATABASES["authors"],
}
DOMAIN_SERVICES_DATABASES = {"authors": "authors"}

DOMAIN_SERVICES = {
    "authors": {"BACKEND": "local", "SERVICE": "authors.services.AuthorsDomain"},
    # Books refer to authors: before an author is deleted, the books service is asked.
    "books": {
        "BACKEND": "rest",
        "URL": "http://127.0.0.1:8002",
        "TOKEN": os.environ["BOOKS_SERVICE_TOKEN"],
        "REFERS_TO": ["authors.Author"],
        "REQUIRED": False,  # authors stays healthy while books is down
    },
}
DOMAIN_SERVICES_API = {
    "SERVICE_TOKENS": {
        "frontend": os.environ["FRONTEND_TOKEN"],
        "books": os.environ["AUTHORS_SERVICE_TOKEN"],
    }
}
