"""In-memory users and facilities domains, for fast tests of the domains that call them.

    services.override("users", FakeUsers())

Resources come from the declarations (`domain_services.interfaces.fake`); the custom
operations below are what the fakes add. The contract suites keep them honest where it matters.
"""

from __future__ import annotations

from uuid import UUID

from domain_services import Page
from domain_services.interfaces.fake import fake_class
from org_interfaces.facilities import Facilities, RoomDTO
from org_interfaces.users import PersonDTO, Users


class FakeUsers(fake_class(Users)):  # type: ignore[misc]
    """An in-memory users domain."""

    def members_of_organization(
        self, *, organization_uuid: UUID, page: int = 1, page_size: int = 50
    ) -> Page[PersonDTO]:
        organization = self.organizations.get(organization_uuid)
        return self.people.list(
            filters={"organization": organization.uuid}, page=page, page_size=page_size
        )


class FakeFacilities(fake_class(Facilities)):  # type: ignore[misc]
    """An in-memory facilities domain."""

    def rooms_of_building(self, *, building_uuid: UUID) -> list[RoomDTO]:
        building = self.buildings.get(building_uuid)
        self.rooms.calls.append("rooms_of_building")
        return [room for room in self.rooms.items.values() if room.building == building.uuid]
