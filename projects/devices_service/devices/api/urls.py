"""The custom part of the devices API, served with the domain (`DOMAIN_SERVICES['devices']
['URLS']`): live status, commands, and the device resource with `?include=status`."""

from django.urls import re_path

from domain_services.integrations.rest.server.views import resource_urls

from . import views

urlpatterns = [
    re_path(r"^devices/(?P<uuid>[^/]+)/status/?$", views.device_status, name="device-status"),
    re_path(r"^devices/(?P<uuid>[^/]+)/commands/?$", views.device_command, name="device-commands"),
    *resource_urls("devices", views.DeviceViewSet),
]
