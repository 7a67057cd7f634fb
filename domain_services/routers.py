"""`DomainRouter`: each domain's apps on their own database alias, in one process.

    DATABASE_ROUTERS = ["domain_services.routers.DomainRouter"]
    DOMAIN_SERVICES_DATABASES = {"facilities": "facilities", "devices": "devices"}

Keys are app labels, values database aliases; unlisted apps use `default`. Relations are only
allowed inside one alias, which is what the boundary checks demand anyway. The library's own
tables (the events outbox and inbox) are migrated on every alias: each domain's events are
written beside its data, in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

LIBRARY_APP = "domain_services"


def _alias(app_label: str) -> str:
    mapping: dict[str, str] = getattr(settings, "DOMAIN_SERVICES_DATABASES", {})
    return mapping.get(app_label, "default")


class DomainRouter:
    """Routes reads, writes and migrations of each app to its domain's database alias."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        return _alias(model._meta.app_label)

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return _alias(model._meta.app_label)

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return _alias(obj1._meta.app_label) == _alias(obj2._meta.app_label)

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        if app_label == LIBRARY_APP:
            return True
        return _alias(app_label) == db
