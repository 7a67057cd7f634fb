"""What a domain's interface cannot answer faithfully is refused at the call, with the model,
the operation, why, and what to do instead; nothing is fetched first."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Count, F, Q, Sum
from django.test.utils import isolate_apps

from domain_services.backed import ServiceModel, UnsupportedQuery
from tests.backed.models import Category, Product
from tests.catalog import models as catalog_models
from tests.catalog.interface import Catalog

P = Product.objects

CASES = {
    "aggregate": (lambda: P.aggregate(Sum("price_cents")), "aggregate(...)", "count()"),
    "annotate": (lambda: P.annotate(n=Count("pk")), "annotate(<expressions>)", "DTO"),
    "alias": (lambda: P.alias(n=Count("pk")), "alias(<expressions>)", "Python"),
    "values with an expression": (lambda: P.values(n=F("name")), "values(<expr", "Python"),
    "extra": (lambda: P.extra(where=["1=1"]), "extra(...)", "raw SQL"),
    "raw": (lambda: P.raw("SELECT 1"), "raw(...)", "raw SQL"),
    "select_for_update": (lambda: P.select_for_update(), "select_for_update()", "command"),
    "union": (lambda: P.all().union(P.all()), "union(...)", "merge"),
    "or of querysets": (lambda: P.all() | P.all(), "qs1 | qs2", "merge"),
    "dates": (lambda: P.dates("created_at", "day"), "dates(<expressions>)", "Python"),
    "bulk_create": (lambda: P.bulk_create([]), "bulk_create(...)", "save() each"),
    "bulk_update": (lambda: P.bulk_update([], ["name"]), "bulk_update(...)", "save() each"),
    "update": (lambda: P.all().update(active=False), "update(...)", "save() each"),
    "delete of a queryset": (lambda: P.all().delete(), "delete() (of a queryset)", "each"),
    "distinct on fields": (lambda: P.distinct("sku"), "distinct(<fields>)", "Python"),
    "random order": (lambda: P.order_by("?"), "order_by('?')", "shuffle"),
    "order through a relation": (lambda: P.order_by("category__name"), "join", "sort"),
    "undeclared ordering": (lambda: P.order_by("sku"), "cannot be ordered by 'sku'", "declare"),
    "undeclared filter": (lambda: P.filter(name="P01"), "cannot filter on 'name'", "declare"),
    "other lookups": (lambda: P.filter(sku__icontains="s"), "not by 'icontains'", "search"),
    "join across resources": (lambda: P.filter(category__name="Tools"), "a join", "UUIDs"),
    "reverse join": (lambda: Category.objects.filter(products__sku="S01"), "reverse", "UUIDs"),
    "or across fields": (lambda: P.filter(Q(sku="S01") | Q(active=True)), "an OR across", "merge"),
    "exclude of several": (lambda: P.exclude(sku="S01", active=True), "OR across", "one field"),
    "exclude without closed set": (lambda: P.exclude(sku="S01"), "no closed set", "filter on"),
    "not null": (lambda: P.filter(sku__isnull=False), "not for any value", "leave out"),
    "expression value": (lambda: P.filter(sku=F("name")), "an expression", "evaluate"),
    "values through a relation": (lambda: P.values("category__name"), "a join", "follow"),
    "last without order": (lambda: P.order_by().last(), "last()", "order_by()"),
    "subquery in SQL": (
        lambda: catalog_models.Product.objects.filter(category__in=Category.objects.all()),
        "inside an SQL query",
        "evaluate it first",
    ),
    "SQL built from the query": (lambda: P.all().query.get_compiler("default"), "build SQL", ""),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_unsupported_operation_says_what_and_what_instead(catalog, case):
    operation, what, instead = CASES[case]

    with pytest.raises(UnsupportedQuery) as caught:
        operation()

    message = str(caught.value)
    assert message.startswith(f"{caught.value.model.__name__}.objects.")
    assert what in message and "Instead," in message and instead in message
    assert catalog.products.calls == [] and catalog.categories.calls == []


def test_iterating_past_max_rows_is_refused_after_one_page(filled, calls):
    with pytest.raises(UnsupportedQuery, match="would fetch 30 products in 1 calls"):
        list(Product.objects.all())  # max_rows=20 on this model

    assert calls() == ["products.list"]
    assert len(Product.objects.all()[:30]) == 30  # an explicit slice is what was asked for


@pytest.mark.django_db
def test_a_write_in_a_transaction_spanning_domains_is_refused(filled):
    category = Category.objects.get(pk=filled.tools.uuid)

    with (
        pytest.raises(UnsupportedQuery, match="no transaction here can include it"),
        transaction.atomic(),
    ):
        Product.objects.create(name="X", sku="X", price_cents=1, category=category)


@isolate_apps("tests.backed")
def test_a_field_the_dto_does_not_carry_is_refused_when_the_model_is_defined():
    with pytest.raises(ImproperlyConfigured, match="colour is not a field of ProductDTO"):

        class Painted(ServiceModel, resource=Catalog.products):
            colour = models.CharField(max_length=10)


@isolate_apps("tests.backed")
def test_an_undeclared_default_ordering_is_refused_when_the_model_is_defined():
    with pytest.raises(ImproperlyConfigured, match=r"Meta\.ordering has 'sku'"):

        class BySku(ServiceModel, resource=Catalog.products):
            sku = models.CharField(max_length=32)

            class Meta:
                ordering = ["sku"]
