"""The registry serves each configured domain from settings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from domain_services import services
from tests.catalog.services import CategoryService, ProductService


@pytest.fixture(autouse=True)
def fresh_registry():
    services.clear()
    yield
    services.clear()


def test_a_local_domain_is_its_service_class_instantiated_once():
    first = services.catalog
    assert isinstance(first, ProductService)
    assert services["catalog"] is first
    assert services.get("catalog", ProductService) is first


def test_an_interface_the_service_does_not_implement_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="does not implement CategoryService"):
        services.get("catalog", CategoryService)


def test_an_unconfigured_domain_names_the_setting_and_the_fix():
    with pytest.raises(ImproperlyConfigured, match=r"DOMAIN_SERVICES has no 'billing' entry"):
        services.billing  # noqa: B018


def test_changing_the_setting_changes_the_service_without_restarting():
    assert isinstance(services.catalog, ProductService)
    config = {"catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.services.CategoryService"}}
    with override_settings(DOMAIN_SERVICES=config):
        assert isinstance(services.catalog, CategoryService)
    assert isinstance(services.catalog, ProductService)


def test_options_that_do_not_fit_the_service_name_the_setting():
    config = {
        "catalog": {
            "BACKEND": "local",
            "SERVICE": "tests.catalog.services.ProductService",
            "OPTIONS": {"unexpected": 1},
        }
    }
    with (
        override_settings(DOMAIN_SERVICES=config),
        pytest.raises(
            ImproperlyConfigured, match=r"DOMAIN_SERVICES\['catalog'\]\['OPTIONS'\] does not fit"
        ),
    ):
        services.catalog  # noqa: B018


def test_a_backend_class_path_is_accepted_like_an_alias():
    config = {
        "catalog": {
            "BACKEND": "domain_services.backends.local.LocalBackend",
            "SERVICE": "tests.catalog.services.ProductService",
        }
    }
    with override_settings(DOMAIN_SERVICES=config):
        assert isinstance(services.catalog, ProductService)


def test_a_class_that_is_not_a_backend_is_refused():
    config = {"catalog": {"BACKEND": "tests.catalog.services.ProductService"}}
    with (
        override_settings(DOMAIN_SERVICES=config),
        pytest.raises(ImproperlyConfigured, match="is not a Backend class"),
    ):
        services.catalog  # noqa: B018


def test_override_serves_a_stand_in():
    stand_in = object()
    services.override("catalog", stand_in)
    assert services.catalog is stand_in
