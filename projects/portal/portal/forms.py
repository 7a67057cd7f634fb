"""The portal's forms: ModelForms on whichever models `portal.models` gives, and list filters.

A reference is chosen by UUID, as every URL of the portal names objects (the legacy models'
ForeignKeys hold UUIDs, the service-backed models' primary keys are UUIDs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator

from portal.model_methods import DEVICE_KINDS
from portal.models import Building, Device, Floor, Organization, Room


class FloorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.building.name} / {obj}"


class ByLabel(ModelChoiceIterator):
    """Choices sorted by their label, the empty choice first."""

    def __iter__(self) -> Iterator[Any]:
        choices = list(super().__iter__())
        head = choices[:1] if self.field.empty_label is not None else []
        yield from head + sorted(choices[len(head) :], key=lambda choice: str(choice[1]))


class RoomChoiceField(forms.ModelChoiceField):
    """Rooms as "Building / Floor / Room", in that order (names alone repeat across floors)."""

    iterator = ByLabel

    def __init__(self, **kwargs: Any) -> None:
        rooms = Room.objects.select_related("floor__building")
        super().__init__(rooms, to_field_name="uuid", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


def organization_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(Organization.objects.all(), to_field_name="uuid", **kwargs)


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "slug"]


class BuildingForm(forms.ModelForm):
    class Meta:
        model = Building
        fields = ["organization", "name", "address"]


class FloorForm(forms.ModelForm):
    class Meta:
        model = Floor
        fields = ["building", "level", "name"]


class RoomForm(forms.ModelForm):
    """A room on one of its building's floors."""

    floor = FloorChoiceField(Floor.objects.none(), to_field_name="uuid")

    class Meta:
        model = Room
        fields = ["floor", "name"]

    def __init__(self, *args: Any, building: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        floors = self.fields["floor"]
        floors.queryset = building.floors.select_related("building")  # type: ignore[attr-defined]


class DeviceForm(forms.ModelForm):
    room = RoomChoiceField()

    class Meta:
        model = Device
        fields = ["eui", "name", "kind", "firmware", "organization", "room"]


class DeviceUpdateForm(DeviceForm):
    """A registered device keeps its EUI."""

    class Meta(DeviceForm.Meta):
        fields = ["name", "kind", "firmware", "organization", "room"]


class BuildingFilterForm(forms.Form):
    organization = organization_field(required=False, empty_label="All organizations")


ORDERINGS = [("name", "Name"), ("-name", "Name, Z to A"), ("eui", "EUI"), ("kind", "Kind")]


class DeviceFilterForm(forms.Form):
    organization = organization_field(required=False, empty_label="All organizations")
    kind = forms.ChoiceField(choices=[("", "All kinds"), *DEVICE_KINDS], required=False)
    ordering = forms.ChoiceField(choices=ORDERINGS, required=False)
