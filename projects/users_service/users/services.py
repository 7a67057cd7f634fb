"""The users domain, implemented on this project's database."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from domain_services import Conflict, ModelService, Page, ValidationFailed
from org_interfaces.users import OrganizationDTO, PersonDTO, Users

from .models import Organization, Person

USER_FIELDS = ("username", "email", "is_active")


class OrganizationService(ModelService[Organization, OrganizationDTO]):
    model = Organization
    declaration = Users.organizations
    default_ordering = ("name",)


class PersonService(ModelService[Person, PersonDTO]):
    """People: a domain record tied to the Django user they log in with."""

    model = Person
    declaration = Users.people
    dto_sources = {
        "username": "user__username",
        "email": "user__email",
        "is_active": "user__is_active",
        "organization": "organization__uuid",
    }
    default_ordering = ("full_name",)
    writable_fields = ("organization", "full_name", "role")

    def create(self, **fields: Any) -> PersonDTO:
        """Create the login (without a usable password) and the person, together.

        `username`, `email` and `is_active` describe the new login; `user` instead links an
        existing one.
        """
        account = {name: fields.pop(name) for name in USER_FIELDS if name in fields}
        if "user" in fields:  # an existing login (the admin offers those)
            return super().create(**fields)
        if not account.get("username"):
            raise ValidationFailed.for_field("username", "This field is required.")
        with transaction.atomic(using=self._write_alias()):
            fields["user"] = self._create_user(account)
            return super().create(**fields)

    def update(self, uuid: UUID | str, **fields: Any) -> PersonDTO:
        account = {name: fields.pop(name) for name in USER_FIELDS if name in fields}
        with transaction.atomic(using=self._write_alias()):
            updated = super().update(uuid, **fields)  # NotFound before touching the login
            if not account:
                return updated
            self._update_user(updated.uuid, account)
            return self.get(updated.uuid)

    def _writable_field_names(self) -> set[str]:
        return {*super()._writable_field_names(), "user"}

    def _create_user(self, account: dict[str, Any]) -> Any:
        user_model = get_user_model()
        if user_model._default_manager.filter(username=account["username"]).exists():
            raise Conflict(
                f"A user named {account['username']!r} exists already.",
                errors={"username": ["Taken."]},
            )
        user = user_model(**account)
        user.set_unusable_password()
        _clean(user, exclude=["password"])
        user.save()
        return user

    def _update_user(self, key: UUID, account: dict[str, Any]) -> None:
        user = Person.objects.select_related("user").get(uuid=key).user
        for name, value in account.items():
            setattr(user, name, value)
        _clean(user, exclude=["password"])
        user.save()


def _clean(obj: Any, *, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


class UsersDomain(Users):
    """The users domain, in this process."""

    def __init__(self) -> None:
        self.organizations = OrganizationService()
        self.people = PersonService()

    def members_of_organization(
        self, *, organization_uuid: UUID, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        organization = self.organizations.get(organization_uuid)
        return self.people.list(
            filters={"organization": organization.uuid}, page=page, page_size=page_size
        )
