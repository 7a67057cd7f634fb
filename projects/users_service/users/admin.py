"""Staff admin of the users domain; every write goes through the domain service."""

from django.contrib import admin

from domain_services import services
from domain_services.admin import ServiceModelAdmin

from .models import Organization, Person


@admin.register(Organization)
class OrganizationAdmin(ServiceModelAdmin):
    service = staticmethod(lambda: services.users.organizations)
    list_display = ("name", "slug", "uuid", "created_at")
    search_fields = ("name", "slug", "uuid")
    readonly_fields = ("uuid", "created_at", "updated_at")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Person)
class PersonAdmin(ServiceModelAdmin):
    service = staticmethod(lambda: services.users.people)
    list_display = ("full_name", "user", "organization", "role", "uuid")
    list_filter = ("role", "organization")
    list_select_related = ("user", "organization")
    search_fields = ("full_name", "user__username", "user__email", "uuid")
    readonly_fields = ("uuid", "created_at", "updated_at")
    autocomplete_fields = ("organization",)
    raw_id_fields = ("user",)
