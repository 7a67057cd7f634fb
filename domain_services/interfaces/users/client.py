"""The users domain over REST: what `DOMAIN_SERVICES['users'] = {"BACKEND": "rest", ...}` gives."""

from __future__ import annotations

from uuid import UUID

from domain_services.integrations.rest.client import RestClient
from domain_services.integrations.rest.resources import ResourceClient
from domain_services.interfaces.users import OrganizationDTO, PersonDTO
from domain_services.page import Page
from domain_services.uuids import parse_uuid


class UsersClient:
    """`UsersService` served by the users project's API."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.organizations = ResourceClient(rest, "organizations", OrganizationDTO)
        self.people = ResourceClient(rest, "people", PersonDTO)

    def members_of_organization(
        self, *, organization_uuid: UUID | str, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        """The people of one organization, a page at a time (NotFound for no organization)."""
        key = parse_uuid(organization_uuid, field="organization_uuid")
        return self.rest.get_page(
            f"organizations/{key}/members",
            PersonDTO,
            params={"page": page, "page_size": page_size},
        )
