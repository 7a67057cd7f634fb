"""URLs of the users service: admin, API v1, API docs, health."""

from django.contrib import admin
from django.urls import include, path

from domain_services.integrations.rest.urls import service_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("users.api.urls")),
    *service_urls(),
]
