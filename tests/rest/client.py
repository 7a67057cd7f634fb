"""The catalog domain over REST: what `{"BACKEND": "rest", "CLIENT": ...}` builds in the tests."""

from __future__ import annotations

from uuid import UUID

from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.resources import ResourceClient
from domain_services.uuids import parse_uuid
from tests.catalog.services import CategoryDTO, ProductDTO


class CatalogClient:
    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.categories = ResourceClient(rest, "categories", CategoryDTO)
        self.products = ResourceClient(rest, "products", ProductDTO)

    def products_of_category(self, *, category_uuid: UUID | str) -> list[ProductDTO]:
        key = parse_uuid(category_uuid, field="category_uuid")
        return self.rest.get_dtos(f"categories/{key}/products", ProductDTO)
