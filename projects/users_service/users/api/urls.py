"""`/api/v1/` of the users service."""

from django.urls import re_path

from domain_services.integrations.rest.server.views import resource_urls

from . import views

urlpatterns = [
    re_path(
        r"^organizations/(?P<uuid>[^/]+)/members/?$",
        views.organization_members,
        name="organization-members",
    ),
    *resource_urls("organizations", views.OrganizationViewSet),
    *resource_urls("people", views.PersonViewSet),
]
