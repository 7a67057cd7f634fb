"""Service-backed models of the catalog domain: the ORM of a legacy app, on `Catalog`."""

from django.core.validators import MinValueValidator
from django.db import models

from domain_services.backed import ServiceModel, batched_property
from tests.catalog.interface import Catalog


class Category(ServiceModel, resource=Catalog.categories):
    name = models.CharField(max_length=100, unique=True)  # the interface cannot look it up

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(ServiceModel, resource=Catalog.products, max_rows=20):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=32, unique=True)  # a declared filter: looked up
    price_cents = models.IntegerField(validators=[MinValueValidator(0)])
    active = models.BooleanField(default=True)
    category = models.ForeignKey(Category, models.DO_NOTHING, related_name="products")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @batched_property
    def label(products):  # one "call" for every product fetched together
        LABEL_CALLS.append(len(products))
        return {p.pk: f"{p.sku}: {p.name}" for p in products}


LABEL_CALLS: list[int] = []
