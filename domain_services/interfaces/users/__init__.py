"""The users domain's public interface: organizations and the people in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain_services.interfaces.resource import Resource
from domain_services.page import Page


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
    role: str
    is_active: bool


@runtime_checkable
class UsersService(Protocol):
    """What other domains may ask of the users domain."""

    organizations: Resource[OrganizationDTO]
    people: Resource[PersonDTO]

    def members_of_organization(
        self, *, organization_uuid: UUID | str, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        """The people of one organization, a page at a time (NotFound for no organization)."""
        ...


__all__ = ["OrganizationDTO", "PersonDTO", "UsersService"]
