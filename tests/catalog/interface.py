"""The catalog domain's interface, declared once: the derived-REST tests serve and call it."""

from __future__ import annotations

from uuid import UUID

from domain_services import Page
from domain_services.interfaces import Field, Interface, command, query, resource
from tests.catalog.services import CategoryDTO, ProductDTO


class Catalog(Interface, domain="catalog"):
    """Categories and the products in them."""

    categories = resource(
        CategoryDTO,
        ordering=("name",),
        search=("name",),
        create={"name": Field(max_length=100)},
        delete=True,
    )
    products = resource(
        ProductDTO,
        filters={"category": UUID, "active": bool, "sku": str},
        ordering=("name", "price_cents", "created_at"),
        search=("name", "sku"),
        create={
            "name": Field(max_length=100),
            "sku": Field(max_length=32),
            "price_cents": Field(min_value=0),
            "active": Field(required=False),
            "category": Field(),
        },
        delete=True,
        max_page_size=200,
    )

    @query(route="categories/{category_uuid}/products")
    def products_of_category(self, *, category_uuid: UUID) -> list[ProductDTO]:
        """Every product of one category (NotFound for no category)."""
        raise NotImplementedError

    @query
    def cheapest(self, *, limit: int = 3, active: bool | None = None) -> Page[ProductDTO]:
        """The cheapest products, a page of `limit`."""
        raise NotImplementedError

    @query
    def skus(self, *, uuids: list[UUID]) -> dict[str, str]:
        """SKU by product UUID, for the products that exist."""
        raise NotImplementedError

    @command
    def set_price(self, *, product_uuid: UUID, price_cents: int) -> ProductDTO:
        """Change one product's price."""
        raise NotImplementedError

    @command
    def retire(self, *, product_uuid: UUID) -> None:
        """Mark one product inactive."""
        raise NotImplementedError
