"""The built wheel, installed with no extra and with `[rest]` only, in fresh virtualenvs.

A small project (one domain: a model, a `ModelService`, an interface declaration; settings from
`database_settings`) runs its tests there with `-p domain_services.testing.plugin`. The plugin
must load whatever is installed; what is installed works (the contract on the backends it
has, `serve_over_rest` with `[rest]`); what is missing fails the test that uses it, naming the
extra. pip's cache makes a second run cheap; only the first one downloads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "domain_services")
MISSING_MONGODB = "pip install django-domain-services[mongodb]"
MISSING_REST = "pip install django-domain-services[rest]"
# What the subprocesses must not inherit from this test run.
ENVIRONMENT_LEFT_OUT = {
    "DATABASE_URL",
    "MONGODB_URL",
    "MQTT_URL",
    "DJANGO_SETTINGS_MODULE",
    "DOMAIN_SERVICES_API_TOKENS",
    "PYTHONPATH",
    "PYTEST_ADDOPTS",
    "VIRTUAL_ENV",
}

PROJECT = {
    "pytest.ini": """
        [pytest]
        DJANGO_SETTINGS_MODULE = shopproj.settings
        pythonpath = .
        testpaths = tests
        addopts = -p domain_services.testing.plugin -p no:cacheprovider
    """,
    "shopproj/__init__.py": "",
    "shopproj/settings.py": """
        import importlib.util
        from pathlib import Path

        from domain_services.project_settings import database_settings

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "tests-only"
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "domain_services",
            "shop",
        ]
        DATABASES = {"default": database_settings(BASE_DIR, "shop")}
        DOMAIN_SERVICES = {"shop": {"BACKEND": "local", "SERVICE": "shop.domain.ShopDomain"}}
        ROOT_URLCONF = "shopproj.urls"
        ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
        STATIC_URL = "static/"  # Django's live server needs it

        if importlib.util.find_spec("rest_framework"):
            from domain_services.integrations.rest.defaults import (
                API_ERROR_MIDDLEWARE,
                REQUEST_ID_MIDDLEWARE,
                REST_APPS,
                rest_framework_settings,
            )

            INSTALLED_APPS += REST_APPS
            MIDDLEWARE = [REQUEST_ID_MIDDLEWARE, API_ERROR_MIDDLEWARE]
            globals().update(rest_framework_settings(title="Shop API"))
    """,
    "shopproj/urls.py": """
        import importlib.util

        urlpatterns = []
        if importlib.util.find_spec("rest_framework"):
            from domain_services.integrations.rest.urls import service_urls

            urlpatterns = [*service_urls()]
    """,
    "shop/__init__.py": "",
    "shop/models.py": """
        from django.db import models

        from domain_services.models import DomainModel


        class Item(DomainModel):
            name = models.CharField(max_length=100, unique=True)
            price_cents = models.IntegerField()

            def __str__(self):
                return self.name
    """,
    "shop/interface.py": """
        from dataclasses import dataclass
        from uuid import UUID

        from domain_services.interfaces import Field, Interface, resource


        @dataclass(frozen=True, slots=True)
        class ItemDTO:
            uuid: UUID
            name: str
            price_cents: int


        class Shop(Interface, domain="shop"):
            items = resource(
                ItemDTO,
                filters={"name": str},
                ordering=("name", "price_cents"),
                search=("name",),
                create={"name": Field(max_length=100), "price_cents": Field(min_value=0)},
                delete=True,
                max_page_size=100,
            )
    """,
    "shop/domain.py": """
        from domain_services import ModelService
        from shop.interface import Shop
        from shop.models import Item


        class Items(ModelService):
            model = Item
            declaration = Shop.items


        class ShopDomain(Shop):
            def __init__(self):
                self.items = Items()
    """,
    "tests/__init__.py": "",
    "tests/test_shop.py": """
        import importlib.util

        import pytest

        from domain_services import services
        from domain_services.testing.contract import InterfaceContract
        from shop.interface import Shop

        REST = importlib.util.find_spec("rest_framework") is not None


        @pytest.mark.django_db
        def test_the_local_domain_answers():
            item = services.shop.items.create(name="Pen", price_cents=120)
            assert services.get("shop", Shop).items.get(item.uuid) == item


        class TestShopContract(InterfaceContract):
            interface = Shop
            backends = ("local", "rest", "fake") if REST else ("local", "fake")
            samples = {"items": lambda ctx: {"name": f"Item {ctx.n}", "price_cents": ctx.n}}
    """,
    "tests/test_settings_helpers.py": """
        import importlib.util
        from pathlib import Path

        import pytest

        from domain_services.project_settings import database_settings, service_settings


        def test_database_settings_reads_the_url(monkeypatch):
            monkeypatch.setenv("DATABASE_URL", "postgres://shop@db.internal:5433/shop")
            config = database_settings(Path("."), "shop")
            assert (config["ENGINE"], config["HOST"], config["PORT"], config["NAME"]) == (
                "django.db.backends.postgresql", "db.internal", 5433, "shop"
            )


        def test_service_settings_names_the_extra_it_needs():
            missing = "serve" if importlib.util.find_spec("rest_framework") else "rest"
            with pytest.raises(ImportError, match=rf"django-domain-services\\[{missing}\\]"):
                service_settings(app="shop", base_dir=Path("."), domains={})
    """,
    "tests/test_rest.py": """
        from domain_services import services
        from shop.domain import ShopDomain
        from shop.interface import Shop


        def test_the_domain_over_rest(serve_over_rest):
            shop = serve_over_rest(Shop)
            made = shop.items.create(name="Pen", price_cents=120)
            assert services.shop is shop
            assert ShopDomain().items.get(made.uuid) == made
    """,
    "tests/test_mongo.py": """
        def test_needs_mongodb(mongo_database):
            mongo_database.items.insert_one({"name": "Pen"})
    """,
}


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built from a copy (no build files left in the tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheels")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)])
    (built,) = out.glob("django_domain_services-*.whl")
    return built


def installed(tmp_path: Path, requirement: str) -> Path:
    """The python of a fresh virtualenv with `requirement`, pytest and pytest-django."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--disable-pip-version-check",
            requirement,
            f"pytest=={version('pytest')}",
            f"pytest-django=={version('pytest-django')}",
        ]
    )
    return python


def present(python: Path) -> list[str]:
    code = (
        "import importlib.util as u; print(' '.join(m for m in "
        "('pymongo', 'paho', 'rest_framework', 'requests', 'whitenoise') if u.find_spec(m)))"
    )
    return run([str(python), "-c", code]).stdout.split()


def outcomes(python: Path, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Run the project's tests: test id -> (outcome, message)."""
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text).lstrip())
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT_LEFT_OUT}
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", f"--junitxml={report}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.exists(), f"pytest ran no test:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(report).iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        problem = next(iter(case), None)
        if problem is None:
            found[test] = ("passed", "")
        else:
            found[test] = (problem.tag, f"{problem.get('message')}\n{problem.text}")
    return found


def split(found: dict[str, tuple[str, str]]) -> tuple[list[str], dict[str, str]]:
    passed = [test for test, (outcome, _) in found.items() if outcome == "passed"]
    others = {test: message for test, (outcome, message) in found.items() if outcome != "passed"}
    return passed, others


def test_with_no_extra_the_plugin_loads_and_names_what_is_missing(wheel, tmp_path):
    python = installed(tmp_path, str(wheel))
    assert present(python) == []

    passed, others = split(outcomes(python, tmp_path))

    # The local test, 3 generic tests on local and fake, their comparison, 2 settings tests.
    assert len(passed) == 1 + 3 * 2 + 1 + 2, passed
    assert set(others) == {
        "tests.test_rest::test_the_domain_over_rest",
        "tests.test_mongo::test_needs_mongodb",
    }
    assert MISSING_REST in others["tests.test_rest::test_the_domain_over_rest"]
    assert MISSING_MONGODB in others["tests.test_mongo::test_needs_mongodb"]


def test_with_rest_only_the_rest_fixtures_work(wheel, tmp_path):
    python = installed(tmp_path, f"django-domain-services[rest] @ {wheel.as_uri()}")
    assert present(python) == ["rest_framework", "requests"]

    passed, others = split(outcomes(python, tmp_path))

    assert "tests.test_rest::test_the_domain_over_rest" in passed
    # + the REST test, 3 generic tests over REST.
    assert len(passed) == 1 + 3 * 3 + 1 + 2 + 1, passed
    assert set(others) == {"tests.test_mongo::test_needs_mongodb"}
    assert MISSING_MONGODB in others["tests.test_mongo::test_needs_mongodb"]
