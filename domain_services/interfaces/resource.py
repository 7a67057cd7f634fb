"""`Resource`: the standard operations every domain offers on each kind of object.

`ModelService` implements it in-process; the REST `ResourceClient` implements it over HTTP.
Domain interfaces are built from resources plus domain-specific methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from domain_services.page import Page

D = TypeVar("D")


@runtime_checkable
class Resource(Protocol[D]):
    """get / get_many / list / create / update / delete on one kind of object, DTOs out."""

    def get(self, uuid: UUID | str) -> D: ...

    def get_many(self, uuids: Iterable[UUID | str]) -> dict[UUID, D]: ...

    def list(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        ordering: Sequence[str] | str | None = None,
        page: int = 1,
        page_size: int | None = None,
        search: str | None = None,
    ) -> Page[D]: ...

    def create(self, **fields: Any) -> D: ...

    def update(self, uuid: UUID | str, **fields: Any) -> D: ...

    def delete(self, uuid: UUID | str) -> None: ...
