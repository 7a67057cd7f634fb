"""One admin and one /api/v1/ for every domain DOMAIN_SERVICES serves locally."""

from django.contrib import admin
from django.urls import path

from domain_services.integrations.rest.urls import service_urls

urlpatterns = [path("admin/", admin.site.urls), *service_urls()]
