"""The catalog domain's services, as a project would write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain_services import ModelService, ValidationFailed

from .models import Category, Product


@dataclass(frozen=True, slots=True)
class CategoryDTO:
    uuid: UUID
    name: str


@dataclass(frozen=True, slots=True)
class ProductDTO:
    uuid: UUID
    name: str
    sku: str
    price_cents: int
    active: bool
    category: UUID
    created_at: datetime


class CategoryService(ModelService[Category, CategoryDTO]):
    domain = "catalog"
    model = Category
    dto = CategoryDTO
    ordering_fields = ("name",)


class ProductService(ModelService[Product, ProductDTO]):
    domain = "catalog"
    model = Product
    dto = ProductDTO
    filter_fields = ("category", "active", "sku")
    ordering_fields = ("name", "price_cents", "created_at")

    def validate(self, obj: Product, *, created: bool) -> None:
        if obj.sku != obj.sku.upper():
            raise ValidationFailed.for_field("sku", "SKUs are upper-case.")
