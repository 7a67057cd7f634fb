"""Changelist columns for UUID references, resolved in one batch call per page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest

from domain_services.admin.reference_targets import reference_target, uuid_reference
from domain_services.errors import DomainError

# Where a changelist row keeps its page's answers. On the row objects of this one request, not
# in a global: display functions only receive the row.
PAGE_ATTRIBUTE = "_reference_columns_page"


@dataclass(frozen=True)
class ReferenceColumn:
    """Show `field` as the name of the object it refers to.

    For a `UUIDReference`, the owning domain's resource and its declared label (`label_of`:
    a room as "HQ / Floor 2 / 203") are derived from the reference; nothing else is needed.
    `resource()` (anything with `get_many(keys) -> {key: object}`) serves any other key, such
    as a device's EUI for its status in MongoDB; `label` names the attribute to show instead of
    the declared label, `render(found)` formats the object (or None) instead. The column
    method is called `name` (default `<field>_name`).
    """

    field: str
    resource: Callable[[], Any] | None = None
    label: str | None = None
    title: str = ""
    render: Callable[[Any], str] | None = None
    name: str = ""

    @property
    def method_name(self) -> str:
        return self.name or f"{self.field}_name"

    def source(self, model: type[models.Model]) -> tuple[Any, Callable[[Any], str]]:
        """The resource to ask and how to label what it returns (ImproperlyConfigured if the
        field is not a reference whose domain has an interface here, and no `resource`)."""
        field = uuid_reference(model, self.field)
        target = None
        if field is not None and (self.resource is None or self.label is None):
            target = reference_target(field)
        if self.resource is None and target is None:
            raise ImproperlyConfigured(
                f"ReferenceColumn({self.field!r}) on {model._meta.label}: the field is not a "
                "UUIDReference; pass resource=."
            )
        resource = self.resource() if self.resource is not None else target.resource  # type: ignore[union-attr]
        if self.label is not None:
            attribute = self.label
            return resource, lambda found: str(getattr(found, attribute))
        if target is not None:
            return resource, target.label_of
        return resource, lambda found: str(found.name)


class ReferenceColumnsMixin:
    """Add `reference_columns = [ReferenceColumn(...)]` and name `<field>_name` in list_display.

    When the changelist is built, the page's keys are collected per column and resolved with
    one `get_many`; a domain that is down shows its UUIDs with a note instead of failing the page.
    """

    model: type[models.Model]
    reference_columns: Sequence[ReferenceColumn] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for column in cls.reference_columns:
            setattr(cls, column.method_name, _display(column))

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        rows = list(changelist.result_list)  # evaluated once; the template renders these rows
        page = resolve_page(self.model, self.reference_columns, rows)
        for row in rows:
            setattr(row, PAGE_ATTRIBUTE, page)
        return changelist

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = super().check(**kwargs)  # type: ignore[misc]
        for column in self.reference_columns:
            if column.resource is None and uuid_reference(self.model, column.field) is None:
                errors.append(
                    checks.Error(
                        f"ReferenceColumn({column.field!r}): {self.model._meta.label}."
                        f"{column.field} is not a UUIDReference, so pass resource=.",
                        obj=self,
                        id="domain_services.E020",
                    )
                )
        return errors


def resolve_page(
    model: type[models.Model], columns: Sequence[ReferenceColumn], objects: Sequence[Any]
) -> dict[str, Any]:
    """column -> ({key: object}, labeller) for one page, or column -> the error message."""
    resolved: dict[str, Any] = {}
    for column in columns:
        keys = {getattr(obj, column.field) for obj in objects} - {None}
        try:
            resource, label_of = column.source(model)
            resolved[column.method_name] = (
                resource.get_many(list(keys)) if keys else {},
                label_of,
            )
        except (DomainError, ImproperlyConfigured) as exc:
            resolved[column.method_name] = getattr(exc, "message", str(exc))
    return resolved


def _display(column: ReferenceColumn) -> Callable[[Any, Any], str]:
    @admin.display(description=column.title or column.field.replace("_", " "))
    def show(self: Any, obj: Any) -> str:
        key: Any = getattr(obj, column.field)
        if key is None:
            return "-"
        page = getattr(obj, PAGE_ATTRIBUTE, {}).get(column.method_name)
        if page is None:  # rendered outside a changelist (e.g. a read-only field)
            page = resolve_page(self.model, [column], [obj])[column.method_name]
        if isinstance(page, str):
            return f"{key} (unavailable)"
        found_by_key, label_of = page
        found = found_by_key.get(key)
        if column.render is not None:
            return column.render(found)
        return label_of(found) if found is not None else f"{key} (missing)"

    return show
