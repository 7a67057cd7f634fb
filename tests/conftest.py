"""Shared fixtures for the library's tests."""

from __future__ import annotations

import pytest

from tests.catalog.services import CategoryService, ProductService


@pytest.fixture
def categories() -> CategoryService:
    return CategoryService()


@pytest.fixture
def products() -> ProductService:
    return ProductService()


@pytest.fixture
def tools(categories):
    return categories.create(name="Tools")


@pytest.fixture
def make_product(products, tools):
    counter = iter(range(1, 1_000_000))

    def make(**fields):
        n = next(counter)
        values = {
            "name": f"Product {n:04d}",
            "sku": f"SKU-{n:05d}",
            "price_cents": 100 * n,
            "category": tools.uuid,
        }
        values.update(fields)
        return products.create(**values)

    return make


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"
