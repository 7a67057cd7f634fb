"""`/api/v1/` of the facilities service."""

from django.urls import re_path

from domain_services.integrations.rest.server.views import resource_urls

from . import views

urlpatterns = [
    re_path(r"^buildings/(?P<uuid>[^/]+)/rooms/?$", views.building_rooms, name="building-rooms"),
    *resource_urls("buildings", views.BuildingViewSet),
    *resource_urls("floors", views.FloorViewSet),
    *resource_urls("rooms", views.RoomViewSet),
]
