"""`ReferenceFieldsMixin`: a ModelAdmin whose `UUIDReference` fields are searchable selects.

Each reference field of the change form becomes a `ReferenceSelect` that shows the referenced
object's name and searches the owning domain's resource (derived from the reference, see
`reference_targets`) through `<model admin>/references/<field>/`, a JSON view the mixin adds
to the admin's URLs. `ServiceModelAdmin` includes it.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property

from domain_services.admin.reference_search import search_references
from domain_services.admin.reference_targets import (
    missing_resource_message,
    reference_target,
    resource_name,
    uuid_reference,
)
from domain_services.admin.widgets import ReferenceSelect, share_reference_labels
from domain_services.interfaces import Interface
from domain_services.references import UUIDReference
from domain_services.registry import services


class ReferenceFieldsMixin:
    """Show each `UUIDReference` of the form as a searchable select of names.

    Put it before `admin.ModelAdmin` in the bases. A field whose domain has no interface in
    this process (no `DOMAIN_SERVICES` entry, or one used only for reference checks) stays a
    UUID text box, with a help text saying why.
    """

    model: Any
    admin_site: Any

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, UUIDReference) and "widget" not in kwargs:
            try:
                target = reference_target(db_field)
            except ImproperlyConfigured as exc:
                kwargs.setdefault(
                    "help_text", f"The UUID of a {db_field.to}; its name cannot be shown: {exc}"
                )
            else:
                kwargs["widget"] = ReferenceSelect(
                    db_field,
                    self.admin_site,
                    target=target,
                    url=reverse(f"{self.admin_site.name}:{self._url_name}", args=[db_field.name]),
                )
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]

        class ReferenceForm(form_class):  # type: ignore[valid-type, misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                share_reference_labels(self)  # one lookup per target resource for the form

        ReferenceForm.__name__ = form_class.__name__
        return ReferenceForm

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        formset_class = super().get_changelist_formset(request, **kwargs)  # type: ignore[misc]

        class ReferenceFormSet(formset_class):  # type: ignore[valid-type, misc]
            @cached_property
            def forms(self) -> list[Any]:
                # `list_editable` rows: one lookup per target resource for the whole page.
                forms: list[Any] = super().forms
                share_reference_labels(*forms)
                return forms

        return ReferenceFormSet

    def get_urls(self) -> list[URLPattern]:
        search = path(
            "references/<str:field_name>/",
            self.admin_site.admin_view(self.reference_search_view),
            name=self._url_name,
        )
        # First: the admin's own `<path:object_id>/` would take this path for an object id.
        return [search, *super().get_urls()]  # type: ignore[misc]

    def reference_search_view(self, request: HttpRequest, field_name: str) -> HttpResponseBase:
        """Select2's search for one reference field of the form (staff who may add or change)."""
        if request.method != "GET":
            return _error(405, "method_not_allowed", f"{request.method} is not allowed; use GET.")
        field = uuid_reference(self.model, field_name)
        form_fields = self.get_form(request).base_fields
        if field is None or field_name not in form_fields:
            return _error(
                404,
                "not_found",
                f"{self.model._meta.label} has no reference field {field_name!r} in its form.",
            )
        if not (
            self.has_add_permission(request)  # type: ignore[attr-defined]
            or self.has_change_permission(request)  # type: ignore[attr-defined]
        ):
            return _error(403, "permission_denied", "You may not edit these objects.")
        try:
            target = reference_target(field)
        except ImproperlyConfigured as exc:
            return _error(404, "not_found", str(exc))
        return search_references(request, target)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = super().check(**kwargs)  # type: ignore[misc]
        for field in self.model._meta.local_fields:
            if isinstance(field, UUIDReference):
                errors += _check_target(field, self)
        return errors

    @property
    def _url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_references"


def _check_target(field: UUIDReference, admin: object) -> list[checks.CheckMessage]:
    """E020 when the target domain's interface has no resource for the target model."""
    try:
        interface = services.backend(field.target_domain).interface()
    except ImproperlyConfigured:
        return []  # no interface here (E010 reports a broken entry): the field stays a text box
    if not (isinstance(interface, type) and issubclass(interface, Interface)):
        return []
    if resource_name(interface, field.target_model) is not None:
        return []
    return [
        checks.Error(
            missing_resource_message(field, interface), obj=admin, id="domain_services.E020"
        )
    ]


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)
