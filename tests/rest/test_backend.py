"""The `rest` backend: configuration errors name the setting; the registry serves the client."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services import services
from domain_services.checks import check_domain_services
from domain_services.integrations.rest.backend import RestBackend
from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.interface_client import client_for
from domain_services.interfaces import Resource
from tests.catalog.interface import Catalog
from tests.catalog.services import CategoryService
from tests.rest.settings_extra import SERVICE_TOKEN


def backend(domain="facilities", **config):
    return RestBackend(domain, {"BACKEND": "rest", **config})


GOOD = {"URL": "http://facilities:8000", "TOKEN": "tok"}


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"TOKEN": "tok"}, "DOMAIN_SERVICES['facilities'] has no 'URL'"),
        ({**GOOD, "URL": "ftp://x"}, "DOMAIN_SERVICES['facilities']['URL']"),
        ({**GOOD, "URL": "facilities:8000"}, "DOMAIN_SERVICES['facilities']['URL']"),
        ({**GOOD, "URL": "http://x:port"}, "invalid port"),
        ({**GOOD, "URL": 8000}, "DOMAIN_SERVICES['facilities']['URL']"),
        ({"URL": GOOD["URL"]}, "DOMAIN_SERVICES['facilities'] has no 'TOKEN'"),
        ({**GOOD, "OPTIONS": {"READ_TIMEOUT": 0}}, "['OPTIONS']['READ_TIMEOUT'] must be > 0"),
        ({**GOOD, "OPTIONS": {"CONNECT_TIMEOUT": "2"}}, "['OPTIONS']['CONNECT_TIMEOUT']"),
        ({**GOOD, "OPTIONS": {"RETRIES": -1}}, "['OPTIONS']['RETRIES'] must be >= 0"),
        ({**GOOD, "OPTIONS": {"RETRIES": True}}, "['OPTIONS']['RETRIES']"),
        ({**GOOD, "OPTIONS": {"TIMEOUT": 3}}, "unknown keys ['TIMEOUT']"),
        ({**GOOD, "INTERFACE": "nowhere.Catalog"}, "['INTERFACE'] = 'nowhere.Catalog'"),
        ({**GOOD, "INTERFACE": "tests.catalog.domain.DeclaredProducts"}, "not an Interface"),
        ({**GOOD, "REFERS_TO": "users.Organization"}, "['REFERS_TO'] must be a list"),
        ({**GOOD, "REFERS_TO": ["Organization"]}, "['REFERS_TO'] must be a list"),
        ({**GOOD, "REQUIRED": "no"}, "['REQUIRED'] must be True or False"),
    ],
)
def test_bad_configuration_is_improperly_configured_naming_the_key(config, named, monkeypatch):
    monkeypatch.delenv("FACILITIES_SERVICE_URL", raising=False)
    monkeypatch.delenv("FACILITIES_SERVICE_TOKEN", raising=False)
    with pytest.raises(ImproperlyConfigured) as caught:
        backend(**config).create_service()
    assert named in str(caught.value)
    assert any(named in problem for problem in backend(**config).check())


def test_check_reports_every_problem_at_once(monkeypatch):
    monkeypatch.delenv("FACILITIES_SERVICE_URL", raising=False)
    monkeypatch.delenv("FACILITIES_SERVICE_TOKEN", raising=False)
    problems = backend(OPTIONS={"RETRIES": -1}).check()
    assert len(problems) == 3  # URL, TOKEN, RETRIES


def test_system_checks_report_a_bad_rest_entry(settings):
    settings.DOMAIN_SERVICES = {"billing": {"BACKEND": "rest", "URL": "nope", "TOKEN": "t"}}
    messages = [m.msg for m in check_domain_services()]
    assert any("DOMAIN_SERVICES['billing']['URL']" in m for m in messages)


def test_environment_variables_override_url_and_token(monkeypatch):
    monkeypatch.setenv("FACILITIES_SERVICE_URL", "https://facilities.internal")
    monkeypatch.setenv("FACILITIES_SERVICE_TOKEN", "from-env")
    service = backend(
        **GOOD,
        INTERFACE="tests.catalog.interface.Catalog",
        OPTIONS={"READ_TIMEOUT": 3, "RETRIES": 0},
    ).create_service()
    rest = service.rest
    assert rest.base_url == "https://facilities.internal"
    assert rest._headers["Authorization"] == "Bearer from-env"
    assert (rest.read_timeout, rest.retries, rest.connect_timeout) == (3, 0, 2.0)


def test_a_service_needs_an_interface_only_to_be_called(monkeypatch):
    monkeypatch.delenv("FACILITIES_SERVICE_URL", raising=False)
    entry = backend(**GOOD, REFERS_TO=["catalog.Product"])
    assert entry.check() == []  # enough to answer reference checks
    with pytest.raises(ImproperlyConfigured, match=r"\['facilities'\] has no 'INTERFACE'"):
        entry.create_service()


def test_the_client_is_derived_from_the_interface_and_implements_it(monkeypatch):
    monkeypatch.delenv("CATALOG_SERVICE_URL", raising=False)
    service = backend(
        "catalog", **GOOD, INTERFACE="tests.catalog.interface.Catalog"
    ).create_service()
    assert isinstance(service, Catalog) and Catalog.missing(service) == []
    assert isinstance(service.products, Resource) and isinstance(service.categories, Resource)


def test_a_derived_client_calls_the_declared_routes(stub):
    stub.respond = lambda method, path, body: (
        200,
        {"results": [], "count": 0, "page": 1, "page_size": 2, "uuid": "x"}
        if method == "GET"
        else None,
        0,
    )
    catalog = client_for(Catalog, RestClient("catalog", stub.url, token="t"))
    key = "00000000-0000-0000-0000-000000000001"
    catalog.products_of_category(category_uuid=key)
    page = catalog.cheapest(limit=2, active=False)
    catalog.skus(uuids=[key, key])
    catalog.retire(product_uuid=key)
    assert (page.page, page.page_size, page.items) == (1, 2, ())
    assert [(call["method"], call["path"]) for call in stub.calls] == [
        ("GET", f"/api/v1/categories/{key}/products"),
        ("GET", "/api/v1/cheapest?limit=2&active=false"),
        ("GET", f"/api/v1/skus?uuids={key}&uuids={key}"),
        ("POST", "/api/v1/retire"),
    ]
    assert stub.calls[-1]["body"] == {"product_uuid": key}


@pytest.mark.django_db(transaction=True)
def test_the_registry_serves_a_rest_domain_end_to_end(live_server, settings):
    settings.DOMAIN_SERVICES = {
        "catalog": {
            "BACKEND": "rest",
            "URL": live_server.url,
            "TOKEN": SERVICE_TOKEN,
            "INTERFACE": "tests.catalog.interface.Catalog",
        }
    }
    tools = CategoryService().create(name="Tools")
    catalog = services.get("catalog", Catalog)
    assert isinstance(catalog, Catalog) and type(catalog).__name__ == "CatalogClient"
    assert catalog.categories.get(tools.uuid) == tools
    assert services.backend("catalog").ping()["status"] == "ok"


def test_ping_of_a_service_that_is_down_is_an_error_not_an_exception():
    result = backend(URL="http://127.0.0.1:9", TOKEN="t").ping(timeout=0.5)
    assert result["status"] == "error"
    assert "http://127.0.0.1:9" in result["detail"]
