"""A page of 100 DTOs from the REST server derived from an interface vs a hand-written view.

Both answer the same JSON for the same rows (`{"count", "page", "page_size", "next",
"results"}`), through the same WSGI handler and middleware in this process (Django's test
client, no network), on a throwaway PostgreSQL database:

- subject: `GET /api/v1/products/?page_size=100&ordering=name`, served by the views
  `interface_urls(Catalog)` derives from the catalog's declaration (authentication, query
  checks, the `ModelService` page, DTOs rendered by the derived converter);
- baseline: a plain Django view that reads the same columns with `values()` and returns
  `JsonResponse` (what a careful hand-written endpoint does).

`rest.server_overhead` is the time ratio; target `<=1.3`.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402

from benchmarks.report import interleaved, report  # noqa: E402
from tests.catalog.interface import Catalog  # noqa: E402
from tests.catalog.models import Category, Product  # noqa: E402
from tests.rest.settings_extra import SERVICE_TOKEN  # noqa: E402

N = 100
ROWS = 2_000
CALLS = 50  # requests per timed round
TEST_DB = "test_bench_rest_server"
COLUMNS = ("uuid", "name", "sku", "price_cents", "active", "category__uuid", "created_at")


def raw_products(request: HttpRequest) -> JsonResponse:
    """The baseline: the same page, written by hand."""
    rows = Product.objects.order_by("name", "pk").values(*COLUMNS)[:N]
    results = [
        {
            "uuid": str(row["uuid"]),
            "name": row["name"],
            "sku": row["sku"],
            "price_cents": row["price_cents"],
            "active": row["active"],
            "category": str(row["category__uuid"]),
            "created_at": row["created_at"].isoformat(),
        }
        for row in rows
    ]
    body = {"count": Product.objects.count(), "page": 1, "page_size": N, "next": 2}
    return JsonResponse({**body, "results": results})


def _urlpatterns() -> list:
    from domain_services.integrations.rest.server.interface_views import interface_urls

    return [
        path("api/v1/", include(interface_urls(Catalog))),
        path("raw/products", raw_products),
    ]


urlpatterns = _urlpatterns()


def seed() -> None:
    category = Category.objects.create(name="Bench")
    Product.objects.bulk_create(
        Product(name=f"Product {n:05d}", sku=f"B-{n:05d}", price_cents=n, category=category)
        for n in range(ROWS)
    )


def main() -> None:
    setup_test_environment()
    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            ROOT_URLCONF=__name__,
            DOMAIN_SERVICES={
                "catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.domain.CatalogDomain"}
            },
        ):
            seed()
            client = Client(HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}")
            derived_url = f"/api/v1/products/?page_size={N}&ordering=name"
            derived = client.get(derived_url).json()
            raw = client.get("/raw/products").json()
            assert derived == raw, "the two endpoints must answer the same JSON"

            def subject() -> None:
                for _ in range(CALLS):
                    client.get(derived_url)

            def baseline() -> None:
                for _ in range(CALLS):
                    client.get("/raw/products")

            subject_time, baseline_time = interleaved(subject, baseline, repeat=9)
            report(
                "rest.server_overhead",
                subject_time / baseline_time,
                "<=1.3",
                derived=f"{subject_time / CALLS * 1000:.2f}ms",
                handwritten=f"{baseline_time / CALLS * 1000:.2f}ms",
                n=N,
                db=connection.vendor,
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
