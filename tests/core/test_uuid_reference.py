"""UUIDReference: a plain indexed UUID column with a declared target and policy."""

from __future__ import annotations

import pytest
from django.db import connection, models

from domain_services import OnDelete, UUIDReference
from tests.orders.models import Order, Wish


def test_it_is_a_uuid_column_with_an_index():
    field = Order._meta.get_field("product")
    assert isinstance(field, models.UUIDField)
    assert field.db_index is True
    assert field.db_type(connection) == models.UUIDField().db_type(connection)


def test_it_records_target_nullability_and_policy():
    field = Wish._meta.get_field("product")
    assert (field.to, field.target_domain, field.target_model) == (
        "catalog.Product",
        "catalog",
        "Product",
    )
    assert field.null is True
    assert field.on_delete is OnDelete.SET_NULL


def test_it_survives_migrations_unchanged():
    field = Order._meta.get_field("product")
    _, path, args, kwargs = field.deconstruct()
    rebuilt = UUIDReference(*args, **kwargs)
    assert (rebuilt.to, rebuilt.on_delete, rebuilt.db_index) == (
        "catalog.Product",
        OnDelete.PROTECT,
        True,
    )
    assert path == "domain_services.references.UUIDReference"


def test_an_unknown_policy_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="'protect', 'set_null', 'cascade'"):
        UUIDReference("catalog.Product", on_delete="explode")


@pytest.mark.parametrize(
    ("field", "check_id"),
    [
        (UUIDReference("Product"), "domain_services.E003"),
        (UUIDReference("catalog.Product", on_delete=OnDelete.SET_NULL), "domain_services.E004"),
    ],
)
def test_field_checks_catch_a_bad_declaration(field, check_id):
    field.set_attributes_from_name("product")
    field.model = Order
    assert check_id in [e.id for e in field.check()]
