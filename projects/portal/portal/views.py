"""The portal's pages: Django's generic class-based views on `portal.models`.

Written as a webapp on one database writes them (`select_related` on the device list,
`prefetch_related` for a building's floors and rooms); they run unchanged on the domains.
Two mixins carry what any webapp needs for writes that can be refused:
`SaveErrorsAsFormErrors` (a refusal on save is a form error) and `ProtectedDeleteView` (a
delete refused because something still refers to the object is said on the confirmation page).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import ProtectedError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    ListView,
    TemplateView,
    UpdateView,
)

from domain_services.backed import SaveErrorsAsFormErrors
from portal.forms import (
    BuildingFilterForm,
    BuildingForm,
    DeviceFilterForm,
    DeviceForm,
    DeviceUpdateForm,
    FloorForm,
    OrganizationForm,
    RoomForm,
)
from portal.models import Building, Device, Floor, Organization, Room


class Home(TemplateView):
    template_name = "portal/home.html"


class ByUUID:
    """Objects are named by UUID in every URL. (Every view names its template: Django's
    default comes from the model's app, which differs between the two model modules.)"""

    slug_field = "uuid"
    slug_url_kwarg = "uuid"


class FormPage(SaveErrorsAsFormErrors):
    """Create and edit pages share one template; it names the kind of object."""

    template_name: str | None = "portal/form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kind = self.model._meta.verbose_name  # type: ignore[attr-defined]
        return super().get_context_data(kind=kind, **kwargs)  # type: ignore[misc]


class ProtectedDeleteView(ByUUID, DeleteView):
    """A delete that is refused because other records refer to the object (a PROTECT
    ForeignKey, or the owning service's refusal) shows the confirmation page again, saying so."""

    template_name = "portal/confirm_delete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(kind=self.model._meta.verbose_name, **kwargs)

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ProtectedError:
            context = self.get_context_data(form=form, protected=True)
            return self.render_to_response(context, status=409)


# -- organizations ----------------------------------------------------------------------------


class OrganizationList(ListView):
    model = Organization
    template_name = "portal/organization_list.html"
    paginate_by = 20


class OrganizationDetail(ByUUID, DetailView):
    model = Organization
    template_name = "portal/organization_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        organization = self.object
        return super().get_context_data(
            buildings=organization.buildings.all(),
            device_count=organization.devices.count(),
            **kwargs,
        )


class OrganizationCreate(FormPage, CreateView):
    model = Organization
    form_class = OrganizationForm


class OrganizationUpdate(FormPage, ByUUID, UpdateView):
    model = Organization
    form_class = OrganizationForm


class OrganizationDelete(ProtectedDeleteView):
    model = Organization
    success_url = reverse_lazy("portal:organization-list")


# -- buildings, floors, rooms -----------------------------------------------------------------


class BuildingList(ListView):
    model = Building
    template_name = "portal/building_list.html"
    paginate_by = 20

    def get_queryset(self) -> Any:
        self.filters = BuildingFilterForm(self.request.GET or None)
        buildings = Building.objects.select_related("organization")
        if self.filters.is_valid() and self.filters.cleaned_data["organization"]:
            buildings = buildings.filter(organization=self.filters.cleaned_data["organization"])
        return buildings

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(filters=self.filters, **kwargs)


class BuildingDetail(ByUUID, DetailView):
    model = Building
    template_name = "portal/building_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        floors = self.object.floors.prefetch_related("rooms")
        return super().get_context_data(floors=floors, **kwargs)


class BuildingCreate(FormPage, CreateView):
    model = Building
    form_class = BuildingForm

    def get_initial(self) -> dict[str, Any]:
        return {"organization": self.request.GET.get("organization")}


class BuildingUpdate(FormPage, ByUUID, UpdateView):
    model = Building
    form_class = BuildingForm


class BuildingDelete(ProtectedDeleteView):
    model = Building
    success_url = reverse_lazy("portal:building-list")


class FloorCreate(FormPage, CreateView):
    model = Floor
    form_class = FloorForm

    def get_initial(self) -> dict[str, Any]:
        return {"building": self.request.GET.get("building")}


class FloorUpdate(FormPage, ByUUID, UpdateView):
    model = Floor
    form_class = FloorForm


class FloorDelete(ProtectedDeleteView):
    model = Floor

    def get_success_url(self) -> str:
        return str(self.object.building.get_absolute_url())


class RoomDetail(ByUUID, DetailView):
    model = Room
    template_name = "portal/room_detail.html"


class RoomFormPage(FormPage):
    """A room is created on a floor (`?floor=<uuid>`) and may move between its building's floors."""

    request: HttpRequest

    def building(self) -> Any:
        room = getattr(self, "object", None)
        if room is not None:
            return room.floor.building
        try:
            floor = uuid.UUID(self.request.GET.get("floor", ""))
        except ValueError:
            raise Http404("Rooms are added to a floor: ?floor=<its UUID>.") from None
        return get_object_or_404(Floor, uuid=floor).building

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "building": self.building()}  # type: ignore[misc]

    def get_initial(self) -> dict[str, Any]:
        return {"floor": self.request.GET.get("floor")}


class RoomCreate(RoomFormPage, CreateView):
    model = Room
    form_class = RoomForm


class RoomUpdate(RoomFormPage, ByUUID, UpdateView):
    model = Room
    form_class = RoomForm


class RoomDelete(ProtectedDeleteView):
    model = Room

    def get_success_url(self) -> str:
        return str(self.object.floor.building.get_absolute_url())


# -- devices ----------------------------------------------------------------------------------


class DeviceList(ListView):
    model = Device
    template_name = "portal/device_list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        self.filters = DeviceFilterForm(self.request.GET or None)
        devices = Device.objects.select_related("room__floor__building", "organization")
        if self.filters.is_valid():
            chosen = self.filters.cleaned_data
            if chosen["organization"]:
                devices = devices.filter(organization=chosen["organization"])
            if chosen["kind"]:
                devices = devices.filter(kind=chosen["kind"])
            if chosen["ordering"]:
                devices = devices.order_by(chosen["ordering"])
        return devices

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(filters=self.filters, **kwargs)


class DeviceDetail(ByUUID, DetailView):
    model = Device
    template_name = "portal/device_detail.html"


class DeviceCreate(FormPage, CreateView):
    model = Device
    form_class = DeviceForm


class DeviceUpdate(FormPage, ByUUID, UpdateView):
    model = Device
    form_class = DeviceUpdateForm


class DeviceDelete(ProtectedDeleteView):
    model = Device
    success_url = reverse_lazy("portal:device-list")
