"""`serve_over_rest`: the live server serves a domain, its client in the registry for a test."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
import requests

from domain_services import services
from domain_services.testing.rest import RestServing
from tests.catalog.domain import CatalogDomain
from tests.catalog.interface import Catalog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.urls("tests.testing.urls_without_api")
def test_the_client_reaches_the_local_implementation_over_http(serve_over_rest):
    catalog = serve_over_rest(Catalog, implementation=CatalogDomain)

    made = catalog.categories.create(name="Tools")

    assert services.get("catalog") is catalog
    assert CatalogDomain().categories.get(made.uuid) == made  # stored by the server's domain
    response = requests.get(
        f"{serve_over_rest.url}/api/v1/categories/{made.uuid}",
        headers={"Authorization": f"Bearer {serve_over_rest.token}"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["name"] == "Tools"


@pytest.mark.urls("tests.testing.urls_without_api")
def test_only_the_fixtures_token_is_accepted(serve_over_rest):
    serve_over_rest(Catalog, implementation=CatalogDomain)
    url = f"{serve_over_rest.url}/api/v1/categories/"
    wrong = requests.get(url, headers={"Authorization": "Bearer pytest-wrong"}, timeout=10)
    right = requests.get(
        url, headers={"Authorization": f"Bearer {serve_over_rest.token}"}, timeout=10
    )
    assert (wrong.status_code, right.status_code) == (401, 200)


@pytest.mark.urls("tests.rest.derived_urls")
def test_the_registry_is_restored_after_the_test(live_server, settings):
    settings.DOMAIN_SERVICES = {
        "catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.domain.CatalogDomain"}
    }
    with ExitStack() as stack:
        client = RestServing(live_server, settings, stack)(Catalog)
        assert services.get("catalog") is client
    assert isinstance(services.get("catalog"), CatalogDomain)


def test_a_domain_that_is_not_served_here_is_named(serve_over_rest):
    # tests.settings serves "catalog" with a service that does not implement Catalog.
    with pytest.raises(pytest.fail.Exception, match=r"DOMAIN_SERVICES\['catalog'\]"):
        serve_over_rest(Catalog)


def test_a_live_server_without_static_url_is_named(serve_over_rest, settings):
    settings.STATIC_URL = None
    with pytest.raises(pytest.fail.Exception, match="STATIC_URL"):
        serve_over_rest(Catalog, implementation=CatalogDomain)
