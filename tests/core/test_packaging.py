"""The base install pulls no integration driver, and a missing extra is named."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

import pytest

from domain_services._optional import require_extra


def test_the_base_distribution_requires_only_django_and_dj_database_url():
    base = [r for r in requires("django-domain-services") or [] if "extra ==" not in r]
    names = [r.split(">")[0].split("<")[0].strip().lower() for r in base]
    assert names == ["django", "dj-database-url"]


def test_domain_services_imports_without_pymongo_or_paho():
    # None in sys.modules makes any import of those packages fail, as if not installed.
    code = (
        "import sys\n"
        "for name in ('pymongo', 'paho', 'paho.mqtt', 'rest_framework', 'requests'):\n"
        "    sys.modules[name] = None\n"
        "import domain_services\n"
        "from domain_services import ModelService, services, UUIDReference\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_missing_extra_is_named_in_the_import_error():
    with pytest.raises(ImportError, match=r"pip install django-domain-services\[mongodb\]"):
        require_extra("surely_not_an_installed_module", extra="mongodb")
