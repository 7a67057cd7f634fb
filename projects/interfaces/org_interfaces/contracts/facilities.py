"""The facilities domain's own contract: derived fields, its operation, cascades and rules.

What every interface promises (round trips, filters, orderings, pages, NotFound, malformed
UUIDs, unknown fields) is `domain_services.testing.contract.InterfaceContract`'s.
"""

from __future__ import annotations

import uuid

import pytest

from domain_services.errors import Conflict, NotFound, ValidationFailed


class FacilitiesContract:
    """Needs fixtures `facilities` (the facilities domain under test) and `organization_uuid`
    (an organization that exists in the users domain)."""

    def make_building(self, facilities, organization_uuid, name="HQ"):
        return facilities.buildings.create(
            name=name, address="1 Main St", organization=organization_uuid
        )

    def test_rooms_carry_their_building_and_organization(self, facilities, organization_uuid):
        building = self.make_building(facilities, organization_uuid)
        floor = facilities.floors.create(building=building.uuid, level=2, name="Second")
        room = facilities.rooms.create(floor=floor.uuid, name="203")
        assert (room.floor, room.building, room.organization) == (
            floor.uuid,
            building.uuid,
            organization_uuid,
        )
        assert (floor.label, room.label) == ("HQ / Second", "HQ / Second / 203")

    def test_rooms_of_building_lists_every_floor(self, facilities, organization_uuid):
        building = self.make_building(facilities, organization_uuid)
        other = self.make_building(facilities, organization_uuid, name="Annex")
        names = []
        for level in (2, 1):
            floor = facilities.floors.create(building=building.uuid, level=level)
            for n in range(3):
                names.append(facilities.rooms.create(floor=floor.uuid, name=f"{level}0{n}").name)
        annex_floor = facilities.floors.create(building=other.uuid, level=1)
        facilities.rooms.create(floor=annex_floor.uuid, name="A1")

        rooms = facilities.rooms_of_building(building_uuid=building.uuid)

        assert sorted(r.name for r in rooms) == sorted(names)
        assert {r.building for r in rooms} == {building.uuid}
        assert facilities.rooms_of_building(building_uuid=other.uuid)[0].name == "A1"

    def test_deleting_a_building_removes_its_floors_and_rooms(self, facilities, organization_uuid):
        building = self.make_building(facilities, organization_uuid)
        floor = facilities.floors.create(building=building.uuid, level=0)
        room = facilities.rooms.create(floor=floor.uuid, name="Lobby")
        facilities.buildings.delete(building.uuid)
        assert facilities.rooms.get_many([room.uuid]) == {}
        with pytest.raises(NotFound):
            facilities.floors.get(floor.uuid)

    def test_errors(self, facilities, organization_uuid):
        building = self.make_building(facilities, organization_uuid)
        facilities.floors.create(building=building.uuid, level=1)
        with pytest.raises(NotFound):
            facilities.rooms_of_building(building_uuid=uuid.uuid4())
        with pytest.raises(ValidationFailed) as exc:
            self.make_building(facilities, uuid.uuid4())
        assert "organization" in exc.value.errors
        with pytest.raises(Conflict):
            facilities.floors.create(building=building.uuid, level=1)
        with pytest.raises(ValidationFailed) as exc:
            facilities.floors.create(building=uuid.uuid4(), level=3)
        assert "building" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            facilities.floors.create(building=building.uuid, level="high")
        assert "level" in exc.value.errors
