"""ModelService reads: get, get_many, list."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from domain_services import NotFound, Page, ValidationFailed
from tests.catalog.models import Product
from tests.catalog.services import ProductDTO

pytestmark = pytest.mark.django_db


def test_get_returns_a_frozen_dto_not_a_model(products, make_product, tools):
    created = make_product(name="Hammer")

    got = products.get(created.uuid)

    assert isinstance(got, ProductDTO)
    assert not isinstance(got, Product)
    assert got == created
    assert got.name == "Hammer"
    assert got.category == tools.uuid
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "changed"  # type: ignore[misc]


def test_get_accepts_the_uuid_as_a_string(products, make_product):
    created = make_product()
    assert products.get(str(created.uuid)).uuid == created.uuid


def test_get_of_an_unknown_uuid_is_not_found(products):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as exc:
        products.get(missing)
    assert str(missing) in str(exc.value)
    assert exc.value.status_code == 404


@pytest.mark.parametrize("bad", ["not-a-uuid", "", 42, None, ["x"], {"$ne": None}])
def test_get_of_a_malformed_uuid_is_a_validation_error(products, bad):
    with pytest.raises(ValidationFailed) as exc:
        products.get(bad)
    assert "uuid" in exc.value.errors


@pytest.mark.parametrize("count", [1, 10, 250])
def test_get_many_is_one_query_whatever_the_number(
    products, make_product, django_assert_num_queries, count
):
    made = [make_product() for _ in range(count)]

    with django_assert_num_queries(1):
        found = products.get_many([p.uuid for p in made])

    assert found == {p.uuid: p for p in made}


def test_get_many_leaves_out_unknown_uuids_and_duplicates(products, make_product):
    a, b = make_product(), make_product()
    found = products.get_many([a.uuid, str(b.uuid), a.uuid, uuid.uuid4()])
    assert set(found) == {a.uuid, b.uuid}


def test_get_many_of_nothing_runs_no_query(products, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert products.get_many([]) == {}


def test_get_many_with_a_malformed_uuid_names_the_field(products, make_product):
    with pytest.raises(ValidationFailed) as exc:
        products.get_many([make_product().uuid, "nope"])
    assert "uuids" in exc.value.errors


def test_get_many_rejects_a_single_string(products):
    with pytest.raises(ValidationFailed):
        products.get_many(str(uuid.uuid4()))  # type: ignore[arg-type]


def test_list_pages_through_everything_once(products, make_product):
    made = {make_product().uuid for _ in range(7)}

    first = products.list(page=1, page_size=3, ordering="name")
    second = products.list(page=2, page_size=3, ordering="name")
    third = products.list(page=3, page_size=3, ordering="name")

    assert isinstance(first, Page)
    assert (first.total, first.pages, first.has_next, first.next_page) == (7, 3, True, 2)
    assert (third.has_next, third.next_page) == (False, None)
    seen = [p.uuid for page in (first, second, third) for p in page.items]
    assert len(seen) == 7 and set(seen) == made
    assert [p.name for p in first.items] == sorted(p.name for p in first.items)


def test_list_orders_descending(products, make_product):
    for price in (300, 100, 200):
        make_product(price_cents=price)
    page = products.list(ordering=["-price_cents"])
    assert [p.price_cents for p in page.items] == [300, 200, 100]


def test_list_filters_by_value_by_list_and_by_related_uuid(products, categories, make_product):
    garden = categories.create(name="Garden")
    a = make_product(active=True)
    b = make_product(active=False)
    c = make_product(category=garden.uuid)

    assert {p.uuid for p in products.list(filters={"active": False}).items} == {b.uuid}
    assert {p.uuid for p in products.list(filters={"category": str(garden.uuid)}).items} == {c.uuid}
    both = products.list(filters={"sku": [a.sku, c.sku]})
    assert {p.uuid for p in both.items} == {a.uuid, c.uuid}


def test_list_past_the_end_is_empty_with_the_total(products, make_product):
    make_product()
    page = products.list(page=5, page_size=10)
    assert page.items == () and page.total == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": {"price_cents": 1}}, "filters"),
        ({"filters": {"category": "not-a-uuid"}}, "category"),
        ({"ordering": "sku"}, "ordering"),
        ({"ordering": ["name", "-uuid"]}, "ordering"),
        ({"page": 0}, "page"),
        ({"page": "2"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": True}, "page_size"),
    ],
)
def test_list_rejects_bad_arguments_naming_them(products, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        products.list(**kwargs)
    assert field in exc.value.errors


def test_list_of_a_page_is_two_queries(products, make_product, django_assert_num_queries):
    for _ in range(30):
        make_product()
    with django_assert_num_queries(2):  # the count and the page
        page = products.list(page=2, page_size=10)
    assert len(page.items) == 10
