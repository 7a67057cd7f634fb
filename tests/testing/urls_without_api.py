"""A URLconf that serves no domain API: `serve_over_rest` must add the interface's routes."""

from domain_services.integrations.rest.urls import health_urls

urlpatterns = [*health_urls()]
