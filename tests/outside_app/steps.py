"""The shell steps of docs/tutorial.md, written once: test_outside_app.py runs them (with the
differences noted there) and test_tutorial.py checks that the tutorial shows each of them."""

from __future__ import annotations

INSTALL = 'pip install "django-domain-services[rest]" pytest pytest-django'
START_PROJECT = "django-admin startproject config ."
START_APPS = ("python manage.py startapp authors", "python manage.py startapp books")
START_DOMAINS = ("python manage.py startdomain authors", "python manage.py startdomain books")
REMAKE_BOOKS_MIGRATION = (
    "rm books/migrations/0001_initial.py",
    "python manage.py makemigrations books",
)
MIGRATE_MONOLITH = (
    "python manage.py migrate",
    "python manage.py migrate --database authors",
    "python manage.py migrate --database books",
)
CHECK = "python manage.py check"
TEST = "pytest"
RUN_MONOLITH = "python manage.py runserver"
MIGRATE_SERVICES = (
    "python manage.py migrate --settings config.authors_service",
    "python manage.py migrate --database authors --settings config.authors_service",
    "python manage.py migrate --settings config.books_service",
    "python manage.py migrate --database books --settings config.books_service",
)
RUN_AUTHORS = "python manage.py runserver 8001 --settings config.authors_service"
RUN_BOOKS = "python manage.py runserver 8002 --settings config.books_service"

# What the user writes by hand, beside what `startproject` and `startdomain` wrote: the files
# of tests/outside_app/project/, which the tutorial shows whole.
WRITTEN = (
    "books/models.py",
    "books/interface.py",
    "books/services.py",
    "books/tests/test_contract.py",
    "config/settings.py",
    "config/urls.py",
    "config/authors_service.py",
    "config/books_service.py",
    "pytest.ini",
)
# The author the tutorial's refused book names: it exists nowhere.
MISSING_AUTHOR = "0b8c2c53-5bd1-4a52-9d68-2b3a0a5c8a9e"
