"""Changelist columns for UUID references, resolved in one batch call per page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from domain_services.errors import DomainError

# The page being rendered: column display functions only receive the row, not the request.
_current_page: ContextVar[dict[str, Any] | None] = ContextVar("reference_page", default=None)


@dataclass(frozen=True)
class ReferenceColumn:
    """Show `field` (a UUIDReference) as the `label` of the object `resource()` returns.

    `resource()` needs only `get_many(keys) -> {key: object}`, so the key may be any field (a
    device's EUI for its status in MongoDB). `render(found)` formats the object instead of
    `label`; the column method is called `name` (default `<field>_name`).
    """

    field: str
    resource: Callable[[], Any]
    label: str = "name"
    title: str = ""
    render: Callable[[Any], str] | None = None
    name: str = ""

    @property
    def method_name(self) -> str:
        return self.name or f"{self.field}_name"


class ReferenceColumnsMixin:
    """Add `reference_columns = [ReferenceColumn(...)]` and name `<field>_name` in list_display.

    When the changelist is built, the page's UUIDs are collected per column and resolved with
    one `get_many`; a domain that is down shows its UUIDs with a note instead of failing the page.
    """

    reference_columns: Sequence[ReferenceColumn] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for column in cls.reference_columns:
            setattr(cls, column.method_name, _display(column))

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        _current_page.set(resolve_page(self.reference_columns, changelist.result_list))
        return changelist


def resolve_page(columns: Sequence[ReferenceColumn], objects: Sequence[Any]) -> dict[str, Any]:
    """column -> {key: object} for one page, or column -> the error message when unavailable."""
    resolved: dict[str, Any] = {}
    for column in columns:
        keys = {getattr(obj, column.field) for obj in objects} - {None}
        try:
            resolved[column.method_name] = column.resource().get_many(list(keys)) if keys else {}
        except DomainError as exc:
            resolved[column.method_name] = exc.message
    return resolved


def _display(column: ReferenceColumn) -> Callable[[Any, Any], str]:
    @admin.display(description=column.title or column.field.replace("_", " "))
    def show(self: Any, obj: Any) -> str:
        uuid: Any = getattr(obj, column.field)
        if uuid is None:
            return "-"
        page = (_current_page.get() or {}).get(column.method_name)
        if page is None:  # rendered outside a changelist (e.g. a read-only field)
            page = resolve_page([column], [obj])[column.method_name]
        if isinstance(page, str):
            return f"{uuid} (unavailable)"
        found = page.get(uuid)
        if column.render is not None:
            return column.render(found)
        return str(getattr(found, column.label)) if found else f"{uuid} (missing)"

    return show
