"""`SaveErrorsAsFormErrors`: what the owning service refuses on save shows on the form.

A ModelForm validates what it can before `save()`: fields, the model's `clean()`, uniqueness.
A service-backed model's service may still refuse the write (a rule of its domain, a check
against another domain, a uniqueness it alone can see); `save()` raises that refusal as
Django's `ValidationError`, field by field. With this mixin first, a create or update view
shows it on the form, as it shows any validation error, instead of failing with a 500:

    class DeviceCreate(SaveErrorsAsFormErrors, CreateView):
        model = Device
        form_class = DeviceForm

On ordinary models `save()` does not raise `ValidationError`, so the mixin changes nothing
there: the legacy views can take it before the move.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse


class SaveErrorsAsFormErrors:
    """For `CreateView` / `UpdateView`: a `ValidationError` from `form.save()` re-renders the
    form with those errors (a field the form does not show gets them as non-field errors)."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ValidationError as error:
            messages = (
                error.message_dict
                if hasattr(error, "error_dict")
                else {NON_FIELD_ERRORS: error.messages}
            )
            for field, texts in messages.items():
                form.add_error(field if field in form.fields else None, texts)
            return self.form_invalid(form)  # type: ignore[attr-defined]
