"""The users domain's interface: organizations and the people in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from domain_services import Page
from domain_services.interfaces import Field, Interface, query, resource

SLUG = r"^[-a-zA-Z0-9_]+$"
# Django's UnicodeUsernameValidator: letters, digits and @ . + - _
USERNAME = r"^[\w.@+-]+$"
Role = Literal["member", "admin"]


@dataclass(frozen=True, slots=True)
class OrganizationDTO:
    uuid: UUID
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class PersonDTO:
    uuid: UUID
    username: str
    email: str
    full_name: str
    organization: UUID
    role: Role
    is_active: bool


class Users(Interface, domain="users"):
    """What other domains may ask of the users domain."""

    organizations = resource(
        OrganizationDTO,
        filters={"slug": str},
        ordering=("name", "slug", "created_at"),
        search=("name", "slug"),
        create={
            "name": Field(max_length=200),
            "slug": Field(max_length=60, pattern=SLUG),
        },
        delete=True,
    )
    people = resource(
        PersonDTO,
        filters={"organization": UUID, "role": Role},
        ordering=("full_name", "created_at"),
        search=("full_name", "username"),
        create={
            "username": Field(max_length=150, pattern=USERNAME),
            "email": Field(format="email", required=False, allow_blank=True),
            "full_name": Field(max_length=200),
            "organization": Field(),
            "role": Field(required=False),
        },
        update={
            "email": Field(format="email", required=False, allow_blank=True),
            "full_name": Field(max_length=200, required=False),
            "organization": Field(required=False),
            "role": Field(required=False),
            "is_active": Field(required=False),
        },
        delete=True,
        label="full_name",
    )

    @query(route="organizations/{organization_uuid}/members")
    def members_of_organization(
        self, *, organization_uuid: UUID, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        """The people of one organization, a page at a time (NotFound for no organization)."""
        raise NotImplementedError
