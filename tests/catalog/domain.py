"""The catalog domain implemented on its models, from the declaration in `interface.py`."""

from __future__ import annotations

from uuid import UUID

from domain_services import ModelService, Page
from tests.catalog.interface import Catalog
from tests.catalog.models import Category, Product
from tests.catalog.services import CategoryDTO, ProductDTO


class DeclaredCategories(ModelService[Category, CategoryDTO]):
    model = Category
    declaration = Catalog.categories


class DeclaredProducts(ModelService[Product, ProductDTO]):
    model = Product
    declaration = Catalog.products


class CatalogDomain(Catalog):
    """The catalog, in this process."""

    def __init__(self) -> None:
        self.categories = DeclaredCategories()
        self.products = DeclaredProducts()

    def products_of_category(self, *, category_uuid: UUID) -> list[ProductDTO]:
        category = self.categories.get(category_uuid)
        return self.products.find(filters={"category": category.uuid}, ordering="name")

    def cheapest(self, *, limit: int = 3, active: bool | None = None) -> Page[ProductDTO]:
        filters = {} if active is None else {"active": active}
        return self.products.list(filters=filters, ordering="price_cents", page_size=limit)

    def skus(self, *, uuids: list[UUID]) -> dict[str, str]:
        return {str(p.uuid): p.sku for p in self.products.get_many(uuids).values()}

    def set_price(self, *, product_uuid: UUID, price_cents: int) -> ProductDTO:
        return self.products.update(product_uuid, price_cents=price_cents)

    def retire(self, *, product_uuid: UUID) -> None:
        self.products.update(product_uuid, active=False)
