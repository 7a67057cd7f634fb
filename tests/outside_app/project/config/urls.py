from django.contrib import admin
from django.urls import path
from domain_services.integrations.rest.urls import service_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    # The API of every domain DOMAIN_SERVICES says is local, its docs, /health.
    *service_urls(),
]
