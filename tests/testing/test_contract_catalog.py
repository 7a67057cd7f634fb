"""The catalog domain against the generic contract: local, over REST and as the derived fake."""

from __future__ import annotations

import pytest

from domain_services.testing.contract import InterfaceContract
from tests.catalog.domain import CatalogDomain
from tests.catalog.interface import Catalog


@pytest.mark.urls("tests.rest.derived_urls")
class TestCatalogContract(InterfaceContract):
    interface = Catalog
    implementation = CatalogDomain
    backends = ("local", "rest", "fake")
    samples = {
        "categories": lambda ctx: {"name": f"Category {ctx.n}"},
        "products": lambda ctx: {
            "name": f"Product {ctx.n}",
            "sku": f"SKU-{ctx.n:05d}",
            "price_cents": 100 + ctx.n,
            "active": ctx.n % 2 == 0,
            "category": ctx.create("categories").uuid,
        },
    }
