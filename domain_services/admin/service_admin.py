"""`ServiceModelAdmin`: the Django admin, writing through a domain service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

from domain_services.admin.reference_fields import ReferenceFieldsMixin
from domain_services.errors import Conflict, DomainError, ValidationFailed


class ServiceModelAdmin(ReferenceFieldsMixin, admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes call `service()`'s create/update/delete.

    The write happens while the form is validated (inside the admin's transaction), so a
    `ValidationFailed` or `Conflict` from the service comes back as form errors instead of a
    500, and nothing is saved that the service did not accept. References into other domains
    are searchable selects of names (`ReferenceFieldsMixin`).
    """

    service: Callable[[], Any]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_site_self = self

        class ServiceForm(form_class):  # type: ignore[valid-type, misc]
            def _post_clean(self) -> None:
                super()._post_clean()
                if not self.errors:
                    admin_site_self._write_through_service(self, change=change)

        return ServiceForm

    def _write_through_service(self, form: forms.ModelForm, *, change: bool) -> None:
        service = self.service()
        fields = {
            name: form.cleaned_data[name]
            for name in (form.changed_data if change else form.cleaned_data)
            if name in form.cleaned_data
        }
        try:
            if change:
                dto = service.update(form.instance.uuid, **fields)
            else:
                dto = service.create(**fields)
        except ValidationFailed as exc:
            for field, errors in exc.errors.items():
                form.add_error(field if field in form.fields else None, errors)
            return
        except DomainError as exc:
            form.add_error(None, exc.message)
            return
        form.service_result = dto  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The service stored it already; point the admin at the stored row for its log entry.
        stored = self.model._default_manager.get(uuid=form.service_result.uuid)
        obj.pk, obj.uuid = stored.pk, stored.uuid
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.instance = self.model._default_manager.get(uuid=form.service_result.uuid)
        super().save_related(request, form, formsets, change)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # The admin's own "protected objects" list also shows what the service refuses: a
        # PROTECT reference from another domain to the object or to anything its deletion
        # cascades to (a device in a room of the floor), or a `before_delete` rule.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        service = self.service()
        for obj in objs:
            try:
                service.ensure_deletable(obj.uuid)
            except Conflict as exc:
                references = exc.context.get("references") or []
                protected = [*protected, *map(_describe, references)] or [exc.message]
            except DomainError as exc:
                protected = [*protected, exc.message]
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.service().delete(obj.uuid)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        service = self.service()
        for uuid in queryset.values_list("uuid", flat=True):
            try:
                service.delete(uuid)
            except DomainError as exc:
                self.message_user(request, f"{uuid}: {exc.message}", messages.ERROR)


def _describe(reference: dict[str, Any]) -> str:
    """One blocking reference for staff: the object by name, and who refers to it."""
    name = reference["uuid"]
    try:
        model = apps.get_model(reference["target"])
        name = str(model._default_manager.filter(uuid=reference["uuid"]).first() or name)
    except (LookupError, ValueError):
        pass  # a label that is not an app label here: the UUID is all we can show
    times = "" if reference["count"] == 1 else f" ({reference['count']} times)"
    return (
        f"{reference['target']} {name!r} is referred to by {reference['referrer']}{times} "
        "(on_delete=protect)"
    )
