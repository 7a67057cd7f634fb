"""`UUIDReference`: a model field that points into another domain by UUID.

A cross-domain ForeignKey would couple two databases; a UUID reference stores only the other
object's UUID (indexed) and declares what happens when that object goes away. The policy is
applied by `domain_services.events` when the owning domain announces the deletion.
"""

from __future__ import annotations

import enum
from typing import Any

from django.core import checks
from django.db import models


def is_model_label(label: object) -> bool:
    """Is `label` shaped like `"domain.Model"` (two non-empty parts)?"""
    return isinstance(label, str) and label.count(".") == 1 and all(label.split("."))


class OnDelete(enum.StrEnum):
    """What a referring object does when the object it refers to is deleted."""

    PROTECT = "protect"
    SET_NULL = "set_null"
    CASCADE = "cascade"


class UUIDReference(models.UUIDField):
    """A UUID column that refers to an object of another domain (`"facilities.Room"`)."""

    description = "UUID reference into another domain"

    def __init__(
        self,
        to: str,
        *args: Any,
        on_delete: OnDelete | str = OnDelete.PROTECT,
        **kwargs: Any,
    ) -> None:
        self.to = to
        try:
            self.on_delete = OnDelete(on_delete)
        except ValueError:
            valid = ", ".join(repr(p.value) for p in OnDelete)
            raise ValueError(
                f"UUIDReference(on_delete={on_delete!r}) is not a policy; use one of {valid}."
            ) from None
        kwargs.setdefault("db_index", True)
        # A nullable reference is optional in forms too, unless the model says otherwise.
        kwargs.setdefault("blank", bool(kwargs.get("null")))
        super().__init__(*args, **kwargs)

    @property
    def target_domain(self) -> str:
        return self.to.partition(".")[0].lower()

    @property
    def target_model(self) -> str:
        return self.to.partition(".")[2]

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not is_model_label(self.to):
            errors.append(
                checks.Error(
                    f"UUIDReference target {self.to!r} must look like 'domain.Model'.",
                    obj=self,
                    id="domain_services.E003",
                )
            )
        if self.on_delete is OnDelete.SET_NULL and not self.null:
            errors.append(
                checks.Error(
                    "UUIDReference with on_delete='set_null' must have null=True.",
                    obj=self,
                    id="domain_services.E004",
                )
            )
        return errors

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["to"] = self.to
        kwargs["on_delete"] = self.on_delete.value
        if kwargs.get("db_index") is True:
            del kwargs["db_index"]
        else:
            kwargs["db_index"] = False
        return name, path, args, kwargs
