"""One admin and one /api/v1/ for all three domains; the same API modules as the projects."""

from django.contrib import admin
from django.urls import include, path

from domain_services.integrations.rest.urls import service_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("users.api.urls")),
    path("api/v1/", include("facilities.api.urls")),
    path("api/v1/", include("devices.api.urls")),
    *service_urls(),
]
