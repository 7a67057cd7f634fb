"""The users interface contract."""

from __future__ import annotations

import uuid

import pytest

from domain_services.errors import Conflict, NotFound, ValidationFailed
from org_interfaces.users import OrganizationDTO, PersonDTO


class UsersContract:
    """Needs a fixture `users`: the UsersService under test."""

    def make_org(self, users, name="Acme"):
        return users.organizations.create(name=name, slug=name.lower().replace(" ", "-"))

    def test_organizations_round_trip(self, users):
        org = self.make_org(users)
        assert isinstance(org, OrganizationDTO)
        assert users.organizations.get(org.uuid) == org
        assert users.organizations.get_many([org.uuid, uuid.uuid4()]) == {org.uuid: org}
        renamed = users.organizations.update(org.uuid, name="Acme Ltd")
        assert renamed.name == "Acme Ltd" and users.organizations.get(org.uuid) == renamed
        users.organizations.delete(org.uuid)
        with pytest.raises(NotFound):
            users.organizations.get(org.uuid)

    def test_organizations_list_pages_and_orders(self, users):
        for name in ("Cyan", "Amber", "Beige"):
            self.make_org(users, name)
        first = users.organizations.list(ordering="name", page=1, page_size=2)
        second = users.organizations.list(ordering="name", page=2, page_size=2)
        assert [o.name for o in first.items] == ["Amber", "Beige"]
        assert [o.name for o in second.items] == ["Cyan"]
        assert (first.total, first.has_next, second.has_next) == (3, True, False)
        only = users.organizations.list(filters={"slug": "beige"})
        assert [o.name for o in only.items] == ["Beige"]

    def test_people_and_members(self, users):
        org, other = self.make_org(users), self.make_org(users, "Other")
        ada = users.people.create(
            username="ada", email="ada@example.com", full_name="Ada L", organization=org.uuid
        )
        users.people.create(username="bob", full_name="Bob", organization=other.uuid)
        assert isinstance(ada, PersonDTO)
        assert (ada.username, ada.organization, ada.role, ada.is_active) == (
            "ada",
            org.uuid,
            "member",
            True,
        )
        assert users.people.get(ada.uuid) == ada
        assert users.people.get_many([ada.uuid]) == {ada.uuid: ada}
        members = users.members_of_organization(organization_uuid=org.uuid)
        assert [p.username for p in members.items] == ["ada"] and members.total == 1
        moved = users.people.update(ada.uuid, role="admin", email="ada@new.example")
        assert (moved.role, moved.email) == ("admin", "ada@new.example")

    def test_errors(self, users):
        org = self.make_org(users)
        with pytest.raises(NotFound):
            users.organizations.get(uuid.uuid4())
        with pytest.raises(ValidationFailed) as exc:
            users.organizations.get("not-a-uuid")
        assert "uuid" in exc.value.errors
        with pytest.raises(Conflict):
            self.make_org(users)
        with pytest.raises(ValidationFailed) as exc:
            users.organizations.create(name="X", slug="has spaces")
        assert "slug" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            users.organizations.create(name="Y", slug="y", colour="red")
        assert "colour" in exc.value.errors
        with pytest.raises(NotFound):
            users.members_of_organization(organization_uuid=uuid.uuid4())
        with pytest.raises(ValidationFailed) as exc:
            users.people.create(username="eve", full_name="Eve", organization=uuid.uuid4())
        assert "organization" in exc.value.errors
        with pytest.raises(ValidationFailed) as exc:
            users.organizations.list(page_size=10_000)
        assert "page_size" in exc.value.errors
        with pytest.raises(Conflict):
            users.people.create(username="dup", full_name="A", organization=org.uuid)
            users.people.create(username="dup", full_name="B", organization=org.uuid)
