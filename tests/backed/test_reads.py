"""Reads of service-backed models: the ORM a legacy view uses, answered by a few interface
calls (the in-memory catalog records each one)."""

from __future__ import annotations

import uuid

import pytest
from django.core.paginator import Paginator
from django.db.models import Q

from tests.backed.models import LABEL_CALLS, Category, Product


def names(rows) -> list[str]:
    return [row.name for row in rows]


def test_a_paginator_page_costs_a_count_and_one_page(filled, calls):
    page = Paginator(Product.objects.all(), 7).page(2)

    assert names(page.object_list) == [f"P{n:02d}" for n in range(7, 14)]
    assert page.paginator.count == 30 and page.has_next()
    assert calls() == ["products.list", "products.list"]


@pytest.mark.parametrize(("low", "high"), [(0, 1), (3, 5), (10, 20), (29, 40), (5, 30)])
def test_any_slice_is_one_page_call(filled, calls, low, high):
    rows = list(Product.objects.all()[low:high])

    assert names(rows) == [f"P{n:02d}" for n in range(low, min(high, 30))]
    assert calls() == ["products.list"]


def test_references_of_every_row_resolve_in_one_call(filled, calls):
    rows = list(Product.objects.all()[:20])

    assert [row.category.name for row in rows] == ["Garden", "Tools"] * 10
    assert calls() == ["categories.get_many", "products.list"]


def test_a_batched_property_is_one_call_for_the_rows_fetched_together(filled):
    rows = list(Product.objects.all()[:12])

    assert [row.label for row in rows][:2] == ["S00: P00", "S01: P01"]
    assert LABEL_CALLS == [12]


def test_filters_map_onto_declared_filters(filled, calls):
    tools = Category.objects.get(pk=filled.tools.uuid)
    calls_before = len(calls())

    in_tools = Product.objects.filter(category=tools, active=True)
    two = Product.objects.filter(sku__in=["S01", "S02", "S99"])
    either = Product.objects.filter(Q(sku="S03") | Q(sku="S04"))
    both = Product.objects.filter(sku__in=["S05", "S06"]).filter(sku="S06")

    assert names(in_tools) == [f"P{n:02d}" for n in range(1, 30, 2) if n % 3]
    assert names(two) == ["P01", "P02"]
    assert names(either) == ["P03", "P04"]
    assert names(both) == ["P06"]
    assert len(calls()) - calls_before == 4


def test_conditions_that_cannot_match_make_no_call(filled, calls):
    assert list(Product.objects.filter(sku="S01").filter(sku="S02")) == []
    assert Product.objects.none().count() == 0
    assert calls() == []


def test_exclude_on_a_closed_set_of_values_keeps_the_others(filled):
    inactive = Product.objects.exclude(active=True)

    assert names(inactive) == [f"P{n:02d}" for n in range(0, 30, 3)]
    assert inactive.query.filters() == {"active": False}


def test_primary_keys_are_one_get_many(filled, calls):
    wanted = [p.uuid for p in filled.products[3:6]] + [uuid.uuid4()]

    rows = Product.objects.filter(pk__in=wanted)

    assert names(rows) == ["P03", "P04", "P05"]
    assert calls() == ["products.get_many"]
    with pytest.raises(Product.DoesNotExist):
        Product.objects.get(pk=uuid.uuid4())


def test_get_first_exists_and_count(filled, calls):
    assert Product.objects.get(sku="S07").name == "P07"
    assert Product.objects.filter(active=False).first().name == "P00"
    assert Product.objects.filter(sku="nope").exists() is False
    assert Product.objects.filter(category=filled.tools.uuid).count() == 15
    assert Product.objects.order_by("-price_cents").first().name == "P29"
    assert Product.objects.last().name == "P29"
    assert calls() == ["products.list"] * 6
    with pytest.raises(Product.MultipleObjectsReturned, match="it returned 10!"):
        Product.objects.get(active=False)


def test_uniqueness_on_a_declared_filter_leaves_the_object_itself_out(filled, calls):
    product = Product.objects.get(sku="S07")
    others = Product.objects.filter(sku="S07").exclude(pk=product.pk)

    assert Product.objects.filter(sku="S07").exists()
    assert others.exists() is False
    assert others.count() == 0


def test_values_and_values_list_project_the_same_rows(filled):
    rows = Product.objects.filter(sku__in=["S01", "S02"])

    assert list(rows.values_list("sku", flat=True)) == ["S01", "S02"]
    assert list(rows.values("name", "category")) == [
        {"name": "P01", "category": filled.tools.uuid},
        {"name": "P02", "category": filled.garden.uuid},
    ]
    assert rows.values_list("name", "price_cents", named=True)[0].price_cents == 100


def test_a_reverse_relation_is_a_filtered_list(filled, calls):
    garden = Category.objects.get(pk=filled.garden.uuid)

    first_three = list(garden.products.all()[:3])

    assert names(first_three) == ["P00", "P02", "P04"]
    assert all(product.category is garden for product in first_three)  # no call for them
    assert garden.products.count() == 15
    assert calls() == ["categories.get_many", "products.list", "products.list"]


def test_prefetch_related_fetches_a_relation_for_every_row_in_one_call(catalog, calls):
    categories = [catalog.categories.create(name=f"C{n}") for n in range(5)]
    for n in range(10):
        catalog.products.create(
            name=f"P{n}", sku=f"S{n}", price_cents=n, category=categories[n % 5].uuid
        )
    catalog.categories.calls.clear()
    catalog.products.calls.clear()

    rows = list(Category.objects.prefetch_related("products"))

    assert [names(c.products.all()) for c in rows] == [[f"P{n}", f"P{n + 5}"] for n in range(5)]
    assert calls() == ["categories.list", "products.list"]


def test_ordering_is_sent_as_declared_keys(filled):
    cheapest_last = Product.objects.order_by("-price_cents")

    assert names(cheapest_last[:2]) == ["P29", "P28"]
    assert names(cheapest_last.reverse()[:2]) == ["P00", "P01"]
    assert Product.objects.all().query.effective_ordering() == ("name",)  # Meta.ordering


def test_a_model_instance_from_a_dto_resolves_its_references(filled, calls):
    product = Product.from_dto(filled.products[1])

    assert product.category.name == "Tools"
    assert calls() == ["categories.get_many"]


def test_prefetch_related_of_a_reference_is_one_get_many(filled, calls):
    rows = list(Product.objects.prefetch_related("category")[:10])

    assert calls() == ["categories.get_many", "products.list"]  # before anything is followed
    assert {row.category.name for row in rows} == {"Tools", "Garden"}
    assert calls() == ["categories.get_many", "products.list"]


def test_a_pickled_row_leaves_its_page_behind(filled, calls):
    import pickle

    rows = list(Product.objects.all()[:10])

    copy = pickle.loads(pickle.dumps(rows[0]))

    assert copy == rows[0] and copy.name == "P00"
    assert len(pickle.dumps(rows[0])) < len(pickle.dumps(rows)) / 2  # not its nine neighbours
    assert copy.category.name == "Garden"  # resolved on its own: one more call
    assert calls() == ["categories.get_many", "products.list"]
