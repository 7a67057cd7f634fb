"""The catalog served in memory (calls recorded), behind the service-backed models."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from domain_services import services
from domain_services.interfaces.fake import fake
from tests.backed.models import LABEL_CALLS
from tests.catalog.interface import Catalog


@pytest.fixture
def catalog():
    """An in-memory catalog domain; its resources record each call in `.calls`."""
    domain = fake(Catalog)
    with services.overriding(catalog=domain):
        yield domain


@pytest.fixture
def filled(catalog):
    """Two categories and 30 products P00..P29 (odd ones in Tools), then no calls recorded."""
    tools = catalog.categories.create(name="Tools")
    garden = catalog.categories.create(name="Garden")
    products = [
        catalog.products.create(
            name=f"P{n:02d}",
            sku=f"S{n:02d}",
            price_cents=100 * n,
            active=n % 3 != 0,
            category=(tools if n % 2 else garden).uuid,
        )
        for n in range(30)
    ]
    catalog.categories.calls.clear()
    catalog.products.calls.clear()
    LABEL_CALLS.clear()
    return SimpleNamespace(tools=tools, garden=garden, products=products)


@pytest.fixture
def calls(catalog):
    """Every call made to the catalog since, as `resource.operation`."""

    def made() -> list[str]:
        return [f"categories.{c}" for c in catalog.categories.calls] + [
            f"products.{c}" for c in catalog.products.calls
        ]

    return made
