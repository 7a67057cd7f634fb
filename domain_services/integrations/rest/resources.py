"""`ResourceClient`: the `Resource` protocol (get, get_many, list, create, update, delete) over
HTTP, speaking the wire format `ResourceViewSet` serves at `/api/v1/<path>/`.

    GET    <path>/?page=&page_size=&ordering=a,-b&<filter>=v    one page
    POST   <path>/lookup  {"uuids": [...]}                      get_many (a read: retried)
    GET    <path>/<uuid>                                        get
    POST   <path>/                                              create
    PATCH  <path>/<uuid>                                        update
    DELETE <path>/<uuid>                                        delete
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain_services.dto import dto_from_dict, to_json
from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.client import RestClient, page_from_body, results_from_body
from domain_services.interfaces import ResourceSpec
from domain_services.page import Page
from domain_services.uuids import parse_uuid, parse_uuids

D = TypeVar("D")

LOOKUP_LIMIT = 1000  # what the server accepts in one lookup; more is a 400


class ResourceClient(Generic[D]):
    """One kind of object of a remote domain, as a `Resource` returning DTOs of type `dto`."""

    chunk_size = 500  # uuids per lookup request: well under the server's limit, small bodies

    def __init__(
        self,
        client: RestClient,
        path: str,
        dto: type[D],
        *,
        declaration: ResourceSpec[D] | None = None,
    ) -> None:
        self.client = client
        self.path = path.strip("/")
        self.dto = dto
        # The server names an undeclared filter's query parameter; with the declaration the
        # client refuses it first, naming `filters`, as a local implementation does.
        self.declaration = declaration
        self._collection = f"{self.path}/"
        self._lookup = f"{self.path}/lookup"

    def __repr__(self) -> str:
        return f"<ResourceClient {self.dto.__name__} at {self.client.url(self._collection)}>"

    def get(self, uuid: UUID | str) -> D:
        """The object with this UUID, or NotFound."""
        return self.client.get_dto(self._item(uuid), self.dto)

    def get_many(self, uuids: Iterable[UUID | str]) -> dict[UUID, D]:
        """The objects with these UUIDs that exist, keyed by UUID: one request per 500."""
        keys = parse_uuids(uuids)
        found: dict[UUID, D] = {}
        dto = self.dto
        for start in range(0, len(keys), self.chunk_size):
            chunk = [str(key) for key in keys[start : start + self.chunk_size]]
            body = self.client.request("POST", self._lookup, json={"uuids": chunk}, idempotent=True)
            for item in results_from_body(body, self.client, self._lookup):
                obj = dto_from_dict(dto, item)
                found[obj.uuid] = obj  # type: ignore[attr-defined]
        return found

    def list(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] | str | None = None,
        page: int = 1,
        page_size: int | None = None,
        search: str | None = None,
    ) -> Page[D]:
        """One page of objects matching `filters` (a list value means "any of") and `search`;
        `page_size` defaults to what the resource declares."""
        if self.declaration is not None:
            self.declaration.check_filters(filters or {})
        params: builtins.list[tuple[str, str]] = [("page", query_value("page", page))]
        if page_size is not None:
            params.append(("page_size", query_value("page_size", page_size)))
        if search:
            params.append(("search", query_value("search", search)))
        if ordering is not None:
            keys = [ordering] if isinstance(ordering, str) else list(ordering)
            params.append(("ordering", ",".join(query_value("ordering", k) for k in keys)))
        for name, value in (filters or {}).items():
            if isinstance(value, list | tuple | set | frozenset):
                values = [query_value(name, v) for v in value]
                if not values:
                    # "Any of nothing" matches nothing; the server would read "" as a value.
                    return self._empty_page(page, 50 if page_size is None else page_size)
                # Repeated (`?sku=a&sku=b`) rather than comma-separated: the client does not
                # know which fields are text, where a comma is data.
                params.extend((name, v) for v in values)
            else:
                params.append((name, query_value(name, value)))
        body = self.client.request("GET", self._collection, params=params)
        return page_from_body(self.dto, body, self.client, self._collection)

    def create(self, **fields: Any) -> D:
        """Validate and store a new object on the owning service."""
        return self.client.send_dto("POST", self._collection, self.dto, json=fields)

    def update(self, uuid: UUID | str, **fields: Any) -> D:
        """Change the given fields of one object."""
        return self.client.send_dto("PATCH", self._item(uuid), self.dto, json=fields)

    def delete(self, uuid: UUID | str) -> None:
        """Delete one object."""
        self.client.request("DELETE", self._item(uuid))

    def _item(self, uuid: UUID | str) -> str:
        return f"{self.path}/{parse_uuid(uuid)}"

    def _empty_page(self, page: int, page_size: int) -> Page[D]:
        # Still validated, so an empty filter does not hide a bad page number.
        for name, value in (("page", page), ("page_size", page_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationFailed.for_field(name, "Must be a whole number >= 1.")
        return Page(items=(), total=0, page=page, page_size=page_size)


def query_value(name: str, value: Any) -> str:
    """A query-string value: booleans as true/false, UUIDs and dates as their strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    converted = to_json(value)
    if isinstance(converted, dict | list):
        raise ValidationFailed.for_field(name, f"{value!r} cannot be sent as a query value.")
    return str(converted)
