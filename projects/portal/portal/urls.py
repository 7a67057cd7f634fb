"""The portal's pages; every object is named by its UUID."""

from django.urls import URLPattern, path
from django.views import View

from portal import views

app_name = "portal"


def pages(prefix: str, name: str, **kinds: type[View]) -> list[URLPattern]:
    """The list, detail, create, edit and delete pages of one kind of object (those given)."""
    routes = {
        "list": "",
        "create": "new/",
        "detail": "<uuid:uuid>/",
        "update": "<uuid:uuid>/edit/",
        "delete": "<uuid:uuid>/delete/",
    }
    return [
        path(f"{prefix}/{routes[kind]}", view.as_view(), name=f"{name}-{kind}")
        for kind, view in kinds.items()
    ]


urlpatterns = [
    path("", views.Home.as_view(), name="home"),
    *pages(
        "organizations",
        "organization",
        list=views.OrganizationList,
        create=views.OrganizationCreate,
        detail=views.OrganizationDetail,
        update=views.OrganizationUpdate,
        delete=views.OrganizationDelete,
    ),
    *pages(
        "buildings",
        "building",
        list=views.BuildingList,
        create=views.BuildingCreate,
        detail=views.BuildingDetail,
        update=views.BuildingUpdate,
        delete=views.BuildingDelete,
    ),
    *pages(
        "floors",
        "floor",
        create=views.FloorCreate,
        update=views.FloorUpdate,
        delete=views.FloorDelete,
    ),
    *pages(
        "rooms",
        "room",
        create=views.RoomCreate,
        detail=views.RoomDetail,
        update=views.RoomUpdate,
        delete=views.RoomDelete,
    ),
    *pages(
        "devices",
        "device",
        list=views.DeviceList,
        create=views.DeviceCreate,
        detail=views.DeviceDetail,
        update=views.DeviceUpdate,
        delete=views.DeviceDelete,
    ),
]
