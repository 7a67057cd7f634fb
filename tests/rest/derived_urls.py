"""The catalog API derived from its interface declaration (no view, route or serializer here)."""

from django.urls import include, path

from domain_services.integrations.rest.server.interface_views import interface_urls
from domain_services.integrations.rest.urls import service_urls
from tests.catalog.interface import Catalog

urlpatterns = [path("api/v1/", include(interface_urls(Catalog))), *service_urls()]
