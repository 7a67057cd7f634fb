"""System checks report boundary violations and bad DOMAIN_SERVICES entries."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from domain_services.checks import (
    check_cross_domain_relations,
    check_domain_services,
    check_uuid_reference_targets,
)

WITH_VIOLATIONS = [*settings.INSTALLED_APPS, "tests.boundary_violations"]


def ids(messages):
    return [m.id for m in messages]


def test_the_test_project_is_clean():
    call_command("check")  # raises SystemCheckError on any error


@override_settings(INSTALLED_APPS=WITH_VIOLATIONS)
def test_a_foreign_key_into_another_domain_is_an_error():
    errors = check_cross_domain_relations()
    assert ids(errors) == ["domain_services.E001"]
    assert "boundary_violations.Shipment.product" in errors[0].msg
    assert "UUIDReference('catalog.Product'" in errors[0].hint


@override_settings(INSTALLED_APPS=WITH_VIOLATIONS)
def test_manage_py_check_fails_on_the_violations():
    with pytest.raises(SystemCheckError) as exc:
        call_command("check")
    assert "domain_services.E001" in str(exc.value)
    assert "domain_services.E002" in str(exc.value)


@override_settings(
    INSTALLED_APPS=WITH_VIOLATIONS,
    DOMAIN_SERVICES={
        "catalog": {
            "BACKEND": "local",
            "SERVICE": "tests.catalog.services.ProductService",
            "APPS": ["catalog", "boundary_violations"],
        }
    },
)
def test_apps_grouped_into_one_domain_may_use_foreign_keys():
    assert check_cross_domain_relations() == []


@override_settings(INSTALLED_APPS=WITH_VIOLATIONS)
def test_a_reference_to_a_model_the_local_domain_lacks_is_an_error():
    errors = check_uuid_reference_targets()
    assert ids(errors) == ["domain_services.E002"]
    assert "'catalog.Box'" in errors[0].msg


def test_references_into_a_domain_this_project_does_not_host_are_not_judged():
    # orders refers to catalog.Product, which exists; nothing here refers to absent domains,
    # so point one at a remote domain and check it stays silent.
    from domain_services import UUIDReference
    from tests.orders.models import Order

    field = UUIDReference("facilities.Room")
    field.set_attributes_from_name("room")
    field.model = Order
    assert check_uuid_reference_targets() == []


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"catalog": "local"}, "DOMAIN_SERVICES['catalog'] must be a dictionary"),
        ({"catalog": {}}, "DOMAIN_SERVICES['catalog'] has no 'BACKEND'"),
        ({"catalog": {"BACKEND": "nope.Backend"}}, "DOMAIN_SERVICES['catalog']['BACKEND']"),
        ({"catalog": {"BACKEND": "local"}}, "DOMAIN_SERVICES['catalog'] has no 'SERVICE'"),
        (
            {"catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.services.Nope"}},
            "DOMAIN_SERVICES['catalog']['SERVICE']",
        ),
        ({"bad-name": {"BACKEND": "local"}}, "DOMAIN_SERVICES key 'bad-name'"),
    ],
)
def test_a_misconfigured_domain_is_reported_naming_the_setting(config, fragment):
    with override_settings(DOMAIN_SERVICES=config):
        errors = check_domain_services()
    assert ids(errors) == ["domain_services.E010"]
    assert fragment in errors[0].msg
