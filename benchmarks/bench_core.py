"""ModelService on PostgreSQL vs the hand-written ORM query plus DTO conversion.

The baseline is what a careful developer writes by hand: one `values_list` query over the same
columns and a DTO built from each row. The service adds UUID parsing, validation of arguments,
and the page count.
"""

from __future__ import annotations

import os
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
django.setup()

from django.db import connection  # noqa: E402

from benchmarks.report import interleaved, report  # noqa: E402
from tests.catalog.models import Category, Product  # noqa: E402
from tests.catalog.services import ProductDTO, ProductService  # noqa: E402

N = 5000
COLUMNS = ("uuid", "name", "sku", "price_cents", "active", "category__uuid", "created_at")


def seed() -> list[uuid.UUID]:
    category = Category.objects.create(name="Bench")
    Product.objects.bulk_create(
        Product(name=f"P{i:05d}", sku=f"B-{i:05d}", price_cents=i, category=category)
        for i in range(N)
    )
    return list(Product.objects.values_list("uuid", flat=True))


def raw_get_many(uuids: list[uuid.UUID]) -> dict[uuid.UUID, ProductDTO]:
    rows = Product.objects.filter(uuid__in=uuids).values_list(*COLUMNS)
    return {row[0]: ProductDTO(*row) for row in rows}


def raw_page(page: int, size: int) -> tuple[int, list[ProductDTO]]:
    queryset = Product.objects.order_by("name", "pk")
    total = queryset.count()
    start = (page - 1) * size
    return total, [ProductDTO(*row) for row in queryset.values_list(*COLUMNS)[start : start + size]]


def main() -> None:
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        uuids = seed()
        service = ProductService()
        sample = uuids[1000:2000]
        assert service.get_many(sample) == raw_get_many(sample)
        assert (
            list(service.list(ordering="name", page=3, page_size=100).items) == raw_page(3, 100)[1]
        )

        svc, raw = interleaved(
            lambda: service.get_many(sample), lambda: raw_get_many(sample), repeat=15
        )
        report(
            "core.get_many",
            svc / raw,
            "<=1.15",
            service=f"{svc * 1000:.2f}ms",
            raw=f"{raw * 1000:.2f}ms",
            n=len(sample),
            db=connection.vendor,
        )
        svc, raw = interleaved(
            lambda: service.list(ordering="name", page=7, page_size=100),
            lambda: raw_page(7, 100),
            repeat=15,
        )
        report(
            "core.list_page",
            svc / raw,
            "<=1.15",
            service=f"{svc * 1000:.2f}ms",
            raw=f"{raw * 1000:.2f}ms",
            page_size=100,
            rows=N,
            db=connection.vendor,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
