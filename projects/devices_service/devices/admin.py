"""Staff admin of the devices domain; writes go through the domain service.

The changelist shows room labels from this service's read model, organization names (one call
to users per page) and whether each device is online (one MongoDB query per page); the device
form offers rooms and organizations as searchable selects of names and shows the last status;
the "Send command" action publishes over MQTT through the command service.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from devices import live
from devices.models import Device
from devices.rooms import room_view
from domain_services import DomainError, ValidationFailed, services
from domain_services.admin import ReferenceColumn, ReferenceColumnsMixin, ServiceModelAdmin
from domain_services.devices.commands import COMMAND_NAME
from domain_services.devices.eui import normalize_eui
from domain_services.devices.status_store import DeviceStatus


def online_label(status: DeviceStatus | None) -> str:
    if status is None:
        return "never reported"
    state = "online" if status.online else "offline"
    if status.updated_at is None:
        return state
    return f"{state}, last seen {timezone.localtime(status.updated_at):%Y-%m-%d %H:%M:%S}"


class DeviceForm(forms.ModelForm):
    """Accepts an EUI as printed on a label (any case, separators) and stores the canonical one."""

    eui = forms.CharField(
        label="EUI", max_length=23, help_text="16 hex digits, e.g. 70B3D57ED0001234"
    )

    def clean_eui(self) -> str:
        try:
            return normalize_eui(self.cleaned_data["eui"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors["eui"]) from exc


class CommandForm(forms.Form):
    command = forms.RegexField(regex=rf"^{COMMAND_NAME.pattern}$", initial="ping")
    args = forms.JSONField(
        required=False, initial=dict, help_text='A JSON object, e.g. {"delay": 5}'
    )

    def clean_args(self) -> dict[str, Any]:
        value = self.cleaned_data.get("args") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError("Must be a JSON object.")
        return value


@admin.register(Device)
class DeviceAdmin(ReferenceColumnsMixin, ServiceModelAdmin):
    service = staticmethod(lambda: services.devices.devices)
    reference_columns = [
        # Rooms from this service's own copy (devices.rooms): no call to facilities.
        ReferenceColumn("room", room_view, label="label", title="room"),
        # The owning domain, its resource and its declared label come from the UUIDReference.
        ReferenceColumn("organization"),
        ReferenceColumn(
            "eui", live.status_store, title="online / last seen", render=online_label, name="online"
        ),
    ]
    form = DeviceForm
    list_display = ("name", "eui", "kind", "firmware", "room_name", "organization_name", "online")
    list_filter = ("kind", "firmware")
    search_fields = ("name", "eui", "uuid")
    readonly_fields = ("uuid", "created_at", "updated_at", "live_status")
    actions = ["send_command"]

    @admin.display(description="live status")
    def live_status(self, device: Device) -> str:
        if not device.pk:
            return "-"
        try:
            status = live.status_store().get(device.eui)
        except DomainError as exc:
            return f"unavailable: {exc.message}"
        if status is None:
            return "never reported"
        rows = [
            ("state", online_label(status)),
            ("device time", status.timestamp),
            *sorted(status.fields.items()),
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.action(description="Send command to selected devices")
    def send_command(self, request: HttpRequest, queryset: QuerySet[Device]) -> HttpResponse | None:
        form = CommandForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            uuids = list(queryset.values_list("uuid", flat=True))
            try:
                sent, failed = services.devices.send_command_many(
                    uuids, command=form.cleaned_data["command"], args=form.cleaned_data["args"]
                )
            except DomainError as exc:
                self.message_user(request, f"No command sent: {exc.message}", messages.ERROR)
                return None
            if sent:
                self.message_user(
                    request,
                    f"Sent {form.cleaned_data['command']!r} to {len(sent)} device(s).",
                    messages.SUCCESS,
                )
            for eui, reason in failed.items():
                self.message_user(request, f"{eui}: not sent: {reason}", messages.ERROR)
            return None
        return TemplateResponse(
            request,
            "admin/devices/device/send_command.html",
            {
                **self.admin_site.each_context(request),
                "title": "Send a command",
                "form": form,
                "devices": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
