"""`manage.py startdomain`: a domain app that passes `check` and its own tests as generated.

The end-to-end tests make a project with `django-admin startproject`, generate a domain into it,
add the two settings the command prints, and run `check`, `makemigrations --check`, the
generated contract tests (local and over REST, through `service_urls()`) and ruff, each in its
own process, as a user would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from domain_services.management.commands.startdomain import model_name_for, resource_name_for

BIN = Path(sys.executable).parent

# What a user adds to `startproject`'s settings for a REST-serving project: the lines the
# command prints, and the REST defaults of docs/rest.md.
SETTINGS = """
from domain_services.integrations.rest import defaults as rest

INSTALLED_APPS += [*rest.REST_APPS, {apps}]
MIDDLEWARE = [rest.REQUEST_ID_MIDDLEWARE, rest.API_ERROR_MIDDLEWARE, *MIDDLEWARE]
REST_FRAMEWORK = rest.REST_FRAMEWORK
SPECTACULAR_SETTINGS = rest.SPECTACULAR_SETTINGS
DOMAIN_SERVICES = {{{domains}}}
"""
URLS = """
from django.contrib import admin
from django.urls import path
from domain_services.integrations.rest.urls import service_urls

urlpatterns = [path("admin/", admin.site.urls), *service_urls()]
"""
# A user's shell: not this test run's settings; the generated project keeps startproject's SQLite.
ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("DJANGO_", "PYTEST_")) and k != "DATABASE_URL"
}
PYTEST_INI = """[pytest]
DJANGO_SETTINGS_MODULE = config.settings
addopts = -p domain_services.testing.plugin -p no:cacheprovider
"""


@pytest.mark.parametrize(
    ("domain", "model"),
    [
        ("authors", "Author"),
        ("books", "Book"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("book_loans", "BookLoan"),
        ("inventory", "Inventory"),
        ("status", "Status"),
        ("business", "Business"),
    ],
)
def test_the_model_is_the_domain_in_the_singular(domain, model):
    assert model_name_for(domain) == model


@pytest.mark.parametrize(
    ("model", "resource"),
    [
        ("Author", "authors"),
        ("BookLoan", "book_loans"),
        ("Category", "categories"),
        ("Address", "addresses"),
        ("Day", "days"),
        ("Box", "boxes"),
    ],
)
def test_the_resource_is_the_model_in_the_plural(model, resource):
    assert resource_name_for(model) == resource


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["Authors"], "lower-case Python identifier"),
        (["book-loans"], "lower-case Python identifier"),
        (["json"], "conflicts with the name of an existing Python module"),
        (["authors", "--model", "author"], "--model 'author' must be a CamelCase class name"),
        (["authors", "--resource", "Writers"], "--resource 'Writers' must be a lower-case"),
        (["authors", "--resource", "resources"], "is a name Interface uses"),
    ],
)
def test_refuses_names_it_cannot_generate_naming_the_problem(
    tmp_path, monkeypatch, arguments, message
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=message):
        call_command("startdomain", *arguments, stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_writes_the_domain_app_and_prints_the_settings_it_needs(tmp_path):
    out = io.StringIO()

    call_command("startdomain", "library", str(tmp_path), "--model", "Book", stdout=out)

    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == [
        "__init__.py",
        "admin.py",
        "apps.py",
        "interface.py",
        "migrations/0001_initial.py",
        "migrations/__init__.py",
        "models.py",
        "services.py",
        "tests/__init__.py",
        "tests/test_contract.py",
    ]
    interface = (tmp_path / "interface.py").read_text()
    assert 'class Library(Interface, domain="library"):' in interface
    assert "    books = resource(\n        BookDTO," in interface
    services = (tmp_path / "services.py").read_text()
    assert "class BookService(ModelService[Book, BookDTO]):" in services
    assert "    declaration = Library.books" in services
    assert "class LibraryDomain(Library):" in services
    printed = out.getvalue()
    assert '"library": {"BACKEND": "local", "SERVICE": "library.services.LibraryDomain"},' in (
        printed
    )
    assert "/api/v1/books/" in printed


def make_project(root: Path, *domains: str) -> Path:
    """`startproject`, then `startdomain` for each domain, then the settings it prints."""
    root.mkdir()
    subprocess.run([BIN / "django-admin", "startproject", "config", str(root)], env=ENV, check=True)
    settings = root / "config" / "settings.py"
    with settings.open("a") as file:
        file.write('\nINSTALLED_APPS += ["domain_services"]\n')
    for domain in domains:
        subprocess.run(
            [BIN / "python", "manage.py", "startdomain", domain], cwd=root, env=ENV, check=True
        )
    entries = ", ".join(f'"{d}": {local_entry(d)}' for d in domains)
    with settings.open("a") as file:
        file.write(SETTINGS.format(apps=", ".join(f'"{d}"' for d in domains), domains=entries))
    (root / "config" / "urls.py").write_text(URLS)
    (root / "pytest.ini").write_text(PYTEST_INI)
    return root


def local_entry(domain: str) -> str:
    camel = domain.title().replace("_", "")
    return f'{{"BACKEND": "local", "SERVICE": "{domain}.services.{camel}Domain"}}'


def manage(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "python", *arguments],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_generated_domains_pass_check_migrations_and_their_contract_tests(tmp_path):
    project = make_project(tmp_path / "shop", "authors", "book_loans")

    check = manage(project, "manage.py", "check")
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
    migrations = manage(project, "manage.py", "makemigrations", "--check", "--dry-run")
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    collected = manage(project, "-m", "pytest", "--collect-only", "-q").stdout
    tests = manage(project, "-m", "pytest", "-q", "-rf")

    assert tests.returncode == 0, tests.stdout + tests.stderr
    # Both domains, local and over REST: the live server serves what service_urls() derives.
    for backend in ("local", "rest"):
        for resource in ("authors", "book_loans"):
            assert f"test_round_trip[{backend}-{resource}]" in collected, collected


DOMAINS = ("authors", "categories", "book_loans")


ADMIN_SMOKE = """
from authors.models import Author
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from domain_services.admin import ServiceModelAdmin

staff = User.objects.create_superuser("staff", "staff@example.com", "not-used")
client = Client(SERVER_NAME="localhost")
client.force_login(staff)
added = client.post("/admin/authors/author/add/", {"name": "Ursula K. Le Guin"})
client.post("/admin/authors/author/add/", {"name": "Octavia E. Butler"})
refused = client.post("/admin/authors/author/add/", {"name": ""})
found = client.get("/admin/authors/author/", {"q": "Guin"})
missed = client.get("/admin/authors/author/", {"q": "Tolkien"})
print(isinstance(admin.site._registry[Author], ServiceModelAdmin))
print(added.status_code, refused.status_code, found.status_code, missed.status_code)
print(b"1 result" in found.content, b"0 results" in missed.content, Author.objects.count())
"""


def test_the_generated_admin_writes_through_the_service_and_searches_what_is_declared(
    tmp_path,
):
    project = make_project(tmp_path / "shop", "authors")
    assert manage(project, "manage.py", "migrate", "-v0").returncode == 0

    smoke = manage(project, "manage.py", "shell", "-c", ADMIN_SMOKE)

    assert smoke.returncode == 0, smoke.stderr
    through_service, statuses, searches = smoke.stdout.strip().splitlines()[-3:]
    assert through_service == "True"
    assert statuses == "302 200 200 200"  # added, the empty name refused, both searches
    assert searches == "True True 2"  # the name is searchable; two authors stored


def test_the_generated_code_passes_ruff_as_the_users_project_configures_it(tmp_path):
    project = make_project(tmp_path / "shop", *DOMAINS)

    lint = subprocess.run(
        [BIN / "ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,DJ,SIM", *DOMAINS],
        cwd=project,
        capture_output=True,
        text=True,
    )
    formatted = subprocess.run(
        [BIN / "ruff", "format", "--isolated", "--check", *DOMAINS],
        cwd=project,
        capture_output=True,
        text=True,
    )

    assert lint.returncode == 0, lint.stdout
    assert formatted.returncode == 0, formatted.stdout
