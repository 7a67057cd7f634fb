"""Writes of service-backed models go through the owning service: its refusals become the
validation errors a form shows, and uniqueness is checked the way a ModelForm checks it."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.views.generic import CreateView

from domain_services import Conflict, services
from domain_services.backed import SaveErrorsAsFormErrors, UnsupportedQuery
from tests.backed.models import Category, Product
from tests.catalog.domain import CatalogDomain


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "sku", "price_cents", "active", "category"]


class CategoryCreate(SaveErrorsAsFormErrors, CreateView):
    model = Category
    fields = ["name"]
    success_url = "/done/"


@pytest.fixture
def local_catalog(db):
    """The catalog on its models (PostgreSQL or SQLite), with its real validation."""
    with services.overriding(catalog=CatalogDomain()):
        yield


def test_create_goes_through_the_service_and_fills_the_object(filled, catalog):
    product = Product.objects.create(
        name="Saw", sku="SAW", price_cents=2999, category_id=filled.tools.uuid
    )

    assert catalog.products.calls == ["create"]
    assert product.pk is not None and not product._state.adding
    assert catalog.products.get(product.pk).name == "Saw"


def test_save_sends_only_what_changed(filled, catalog, monkeypatch):
    sent = []
    update = catalog.products.update
    monkeypatch.setattr(
        catalog.products, "update", lambda uuid, **f: sent.append(f) or update(uuid, **f)
    )
    product = Product.objects.get(sku="S01")

    product.save()  # nothing changed: no call
    product.price_cents = 5
    product.save()

    assert sent == [{"price_cents": 5}]
    assert catalog.products.get(product.pk).price_cents == 5


def test_a_refusal_on_save_is_a_validation_error_by_field(local_catalog):
    tools = Category.objects.create(name="Tools")

    with pytest.raises(ValidationError) as caught:
        Product.objects.create(name="Gift", sku="GIFT", price_cents=-1, category=tools)

    assert set(caught.value.message_dict) == {"price_cents"}


def test_uniqueness_the_interface_cannot_look_up_is_the_services_answer_on_the_field(
    local_catalog,
):
    Category.objects.create(name="Tools")
    request = RequestFactory().post("/categories/new/", {"name": "Tools"})

    response = CategoryCreate.as_view()(request)

    assert response.status_code == 200  # the form again, not a redirect or a 500
    assert response.context_data["form"].errors == {
        "name": ["Category with this Name already exists."]
    }


def test_a_model_form_checks_uniqueness_on_a_declared_filter(filled):
    data = {"name": "Dup", "sku": "S03", "price_cents": 1, "active": True}
    data["category"] = str(filled.tools.uuid)

    form = ProductForm(data)

    assert form.errors == {"sku": ["Product with this Sku already exists."]}
    editing = ProductForm(data, instance=Product.objects.get(sku="S03"))
    assert editing.is_valid(), editing.errors  # the product itself is left out


def test_a_form_choice_of_a_reference_is_validated_against_the_service(filled):
    data = {"name": "X", "sku": "NEW", "price_cents": 1, "active": True}

    unknown = ProductForm({**data, "category": "00000000-0000-0000-0000-000000000000"})
    malformed = ProductForm({**data, "category": "not-a-uuid"})

    assert "category" in unknown.errors and "category" in malformed.errors
    assert ProductForm({**data, "category": str(filled.garden.uuid)}).is_valid()


def test_a_refused_delete_is_a_protected_error(filled, catalog, monkeypatch):
    def refuse(uuid):
        raise Conflict("Category Tools is referred to by 15 products.")

    monkeypatch.setattr(catalog.categories, "delete", refuse)
    tools = Category.objects.get(pk=filled.tools.uuid)

    with pytest.raises(ProtectedError, match="referred to by 15 products"):
        tools.delete()


def test_delete_goes_through_the_service(filled, catalog):
    product = Product.objects.get(sku="S01")

    assert product.delete() == (1, {"backed.Product": 1})
    assert not Product.objects.filter(sku="S01").exists()


@pytest.mark.django_db
def test_a_write_inside_a_transaction_is_refused(filled, catalog):
    product = Product.objects.get(sku="S01")
    product.name = "Renamed"

    with pytest.raises(UnsupportedQuery, match="commits on its own"), transaction.atomic():
        product.save()
    with pytest.raises(UnsupportedQuery, match=r"delete\(\)"), transaction.atomic():
        product.delete()
    assert catalog.products.get(product.pk).name == "P01"


def test_get_or_create_and_update_or_create(filled, catalog):
    found, created = Category.objects.get_or_create(pk=filled.tools.uuid)
    made, made_created = Product.objects.get_or_create(
        sku="NEW", defaults={"name": "New", "price_cents": 1, "category": found}
    )
    changed, changed_created = Product.objects.update_or_create(
        sku="NEW", defaults={"price_cents": 7}
    )

    assert (found.name, created, made_created, changed_created) == ("Tools", False, True, False)
    assert changed.pk == made.pk and catalog.products.get(made.pk).price_cents == 7
