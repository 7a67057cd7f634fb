"""A small domain for the core tests: categories and products."""

from django.core.validators import MinValueValidator
from django.db import models

from domain_services.models import DomainModel


class Category(DomainModel):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(DomainModel):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=32, unique=True)
    price_cents = models.IntegerField(validators=[MinValueValidator(0)])
    active = models.BooleanField(default=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")

    def __str__(self) -> str:
        return self.name


class Variant(DomainModel):
    """Deleted with its product: a cascade inside the catalog domain."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name
