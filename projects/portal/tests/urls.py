"""The portal's pages and, for the live server, the APIs of the domains served here."""

from django.urls import include, path

from domain_services.integrations.rest.urls import api_urls

urlpatterns = [*api_urls(), path("", include("config.urls"))]
