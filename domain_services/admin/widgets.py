"""`ReferenceSelect`: a `UUIDReference` in a change form, as a searchable select of names.

The select is Django's own admin autocomplete (Select2 and `autocomplete.js`, bundled with the
admin), pointed at the admin's reference search view instead of a local ModelAdmin. The only
option rendered with the page is the current value, with its label: all the reference widgets
of one form share one `get_many` per target resource (`share_reference_labels`), never one call
per option or per field. When the owning domain cannot answer, the widget falls back to a text
box with the UUID and a note, so the page still renders and staff can still type a UUID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.admin.widgets import AutocompleteMixin
from django.forms.renderers import get_default_renderer
from django.utils.safestring import mark_safe

from domain_services.admin.reference_targets import ReferenceTarget
from domain_services.errors import DomainError

TargetKey = tuple[str, str]


@dataclass(frozen=True)
class Current:
    """What a reference widget shows for its value: the label, or why there is none."""

    label: str
    unavailable: str = ""  # the owning domain's error message when it cannot answer


class ReferenceLabels:
    """The labels of the reference values of some forms: one `get_many` per target resource.

    Looked up when the first reference widget renders (a form that is saved and redirects
    costs no lookup); every reference widget of the forms reads from the same answer.
    """

    def __init__(self, *sources: forms.BaseForm) -> None:
        self.forms = sources
        self._asked: dict[TargetKey, set[uuid.UUID]] = {}
        self._found: dict[TargetKey, dict[uuid.UUID, Any]] = {}
        self._errors: dict[TargetKey, str] = {}

    def current(self, target: ReferenceTarget, value: Any) -> Current | None:
        """What to show for `value` (None for no value)."""
        if value in (None, "", [], ()):
            return None
        key = _as_uuid(value)
        if key is None:
            return Current(str(value))  # not a UUID: the form shows its own error for it
        if key not in self._asked.get(target.key, ()):
            self._lookup(target, key)
        if target.key in self._errors:
            return Current(str(key), unavailable=self._errors[target.key])
        dto = self._found[target.key].get(key)
        return Current(target.label_of(dto) if dto is not None else f"{key} (missing)")

    def _lookup(self, target: ReferenceTarget, key: uuid.UUID) -> None:
        wanted: dict[TargetKey, tuple[ReferenceTarget, set[uuid.UUID]]] = {
            target.key: (target, {key})
        }
        for form in self.forms if target.key not in self._asked else ():
            # The first widget to render asks for every reference value of the forms at once.
            for name, field in form.fields.items():
                widget = field.widget
                if isinstance(widget, ReferenceSelect) and widget.target.key not in self._asked:
                    entry = wanted.setdefault(widget.target.key, (widget.target, set()))
                    value = _as_uuid(form[name].value())
                    if value is not None:
                        entry[1].add(value)
        for group, (resource_target, uuids) in wanted.items():
            self._asked.setdefault(group, set()).update(uuids)
            found = self._found.setdefault(group, {})
            if not uuids or group in self._errors:
                continue
            try:
                found.update(resource_target.resource.get_many(sorted(uuids, key=str)))
            except DomainError as exc:
                self._errors[group] = exc.message


class ReferenceSelect(AutocompleteMixin, forms.Select):
    """A searchable select for a `UUIDReference`, showing names; `url` answers its searches."""

    unavailable_template_name = "domain_services/admin/reference_unavailable.html"

    def __init__(
        self,
        field: Any,
        admin_site: Any,
        *,
        target: ReferenceTarget,
        url: str,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(field, admin_site, attrs=attrs, choices=())
        self.target = target
        self.url = url
        # Set on the form's copy of the widget (`share_reference_labels`); never on the
        # class-level widget, whose copies would share one cache across forms and requests.
        self.labels: ReferenceLabels | None = None

    def get_url(self) -> str:
        return self.url

    @property
    def media(self) -> forms.Media:
        """Django's Select2 and `autocomplete.js`, and the style of the unavailable note."""
        css = forms.Media(css={"screen": ["domain_services/admin/references.css"]})
        return super().media + css

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> Any:
        # The options are `choices` (the current value only), not a queryset.
        return forms.Select.optgroups(self, name, value, attrs)

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        labels = self.labels or ReferenceLabels()  # a widget used alone looks itself up
        current = labels.current(self.target, value)
        empty = [] if self.is_required else [("", "")]
        self.choices = [*empty, *([(str(value), current.label)] if current else [])]
        context: dict[str, Any] = super().get_context(name, value, attrs)
        if current is not None and current.unavailable:
            # No select to search in: a text box with the UUID, and what went wrong.
            context["widget"].update(
                type="text",
                value=str(value),
                attrs={**forms.Widget.build_attrs(self, self.attrs, attrs), "class": "vUUIDField"},
                domain=self.target.domain,
                unavailable=current.unavailable,
            )
        return context

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        context = self.get_context(name, value, attrs)
        template = (
            self.unavailable_template_name
            if context["widget"].get("unavailable")
            else self.template_name
        )
        return mark_safe((renderer or get_default_renderer()).render(template, context))


def share_reference_labels(*sources: forms.BaseForm) -> None:
    """Let every `ReferenceSelect` of these forms (one form, or a formset's) read its label
    from one batch per target resource."""
    labels = ReferenceLabels(*sources)
    for form in sources:
        for field in form.fields.values():
            if isinstance(field.widget, ReferenceSelect):
                field.widget.labels = labels


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, list | tuple):  # what a select's value may arrive as
        value = value[0] if len(value) == 1 else None
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            return None
    return None
