"""URLs of the facilities service: the admin, then what `service_urls()` derives from settings
(the API of every domain served here, the API root and docs, health)."""

from django.contrib import admin
from django.urls import path

from domain_services.integrations.rest.urls import service_urls

urlpatterns = [path("admin/", admin.site.urls), *service_urls()]
