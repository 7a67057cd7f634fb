"""ModelService writes: create, update, delete, with validation and all-or-nothing."""

from __future__ import annotations

import uuid

import pytest

from domain_services import Conflict, NotFound, ValidationFailed
from tests.catalog.models import Category, Product

pytestmark = pytest.mark.django_db


def test_create_stores_and_returns_the_dto(products, tools):
    dto = products.create(name="Saw", sku="SAW-1", price_cents=1999, category=tools.uuid)

    stored = Product.objects.get(uuid=dto.uuid)
    assert (stored.name, stored.sku, stored.price_cents) == ("Saw", "SAW-1", 1999)
    assert stored.category.uuid == tools.uuid == dto.category
    assert dto.created_at is not None


def test_create_with_a_duplicate_unique_value_is_a_conflict(make_product):
    make_product(sku="DUP-1")
    with pytest.raises(Conflict):
        make_product(sku="DUP-1")
    assert Product.objects.filter(sku="DUP-1").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": "abc"}, "price_cents"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"sku": "lower-1"}, "sku"),  # the service's own rule
        ({"category": "not-a-uuid"}, "category"),
        ({"category": str(uuid.uuid4())}, "category"),  # no such category
        ({"colour": "red"}, "colour"),  # unknown field
        ({"uuid": str(uuid.uuid4())}, "uuid"),  # read-only field
    ],
)
def test_create_with_bad_input_names_the_field_and_writes_nothing(make_product, fields, field):
    before = Product.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        make_product(**fields)
    assert field in exc.value.errors, exc.value.errors
    assert exc.value.status_code == 400
    assert Product.objects.count() == before


def test_create_without_a_required_field_names_it(products):
    with pytest.raises(ValidationFailed) as exc:
        products.create(name="No category", sku="NC-1", price_cents=1)
    assert "category" in exc.value.errors


def test_update_changes_only_the_given_fields(products, make_product):
    made = make_product(name="Old", price_cents=100)

    updated = products.update(made.uuid, name="New")

    assert updated.name == "New" and updated.price_cents == 100
    assert products.get(made.uuid) == updated


def test_update_moves_a_product_to_another_category_by_uuid(products, categories, make_product):
    garden = categories.create(name="Garden")
    made = make_product()
    assert products.update(made.uuid, category=garden.uuid).category == garden.uuid


def test_update_of_an_unknown_uuid_is_not_found(products):
    with pytest.raises(NotFound):
        products.update(uuid.uuid4(), name="x")


def test_update_with_an_invalid_value_changes_nothing(products, make_product):
    made = make_product(name="Keep", price_cents=5)
    with pytest.raises(ValidationFailed) as exc:
        products.update(made.uuid, name="Changed", price_cents=-5)
    assert "price_cents" in exc.value.errors
    assert products.get(made.uuid) == made


def test_update_to_a_duplicate_is_a_conflict(products, make_product):
    make_product(sku="TAKEN")
    other = make_product()
    with pytest.raises(Conflict):
        products.update(other.uuid, sku="TAKEN")
    assert products.get(other.uuid).sku == other.sku


def test_update_with_a_malformed_uuid_is_a_validation_error(products):
    with pytest.raises(ValidationFailed) as exc:
        products.update("123", name="x")
    assert "uuid" in exc.value.errors


def test_delete_removes_the_object(products, make_product):
    made = make_product()
    products.delete(made.uuid)
    with pytest.raises(NotFound):
        products.get(made.uuid)


def test_delete_of_an_unknown_uuid_is_not_found(products):
    with pytest.raises(NotFound):
        products.delete(uuid.uuid4())


def test_delete_of_a_protected_object_is_a_conflict(categories, tools, make_product):
    make_product()
    with pytest.raises(Conflict):
        categories.delete(tools.uuid)
    assert Category.objects.filter(uuid=tools.uuid).exists()
