"""The users domain's own contract: its defaults, its operation and its rules.

What every interface promises (round trips, filters, orderings, pages, NotFound, malformed
UUIDs, unknown fields) is `domain_services.testing.contract.InterfaceContract`'s.
"""

from __future__ import annotations

import uuid

import pytest

from domain_services.errors import Conflict, NotFound, ValidationFailed
from org_interfaces.users import PersonDTO


class UsersContract:
    """Needs a fixture `users`: the users domain under test."""

    def make_org(self, users, name="Acme"):
        return users.organizations.create(name=name, slug=name.lower().replace(" ", "-"))

    def test_people_and_members(self, users):
        org, other = self.make_org(users), self.make_org(users, "Other")
        ada = users.people.create(
            username="ada", email="ada@example.com", full_name="Ada L", organization=org.uuid
        )
        users.people.create(username="bob", full_name="Bob", organization=other.uuid)
        assert isinstance(ada, PersonDTO)
        assert (ada.role, ada.is_active) == ("member", True)  # the defaults
        members = users.members_of_organization(organization_uuid=org.uuid)
        assert [p.username for p in members.items] == ["ada"] and members.total == 1
        moved = users.people.update(ada.uuid, role="admin", email="ada@new.example")
        assert (moved.role, moved.email) == ("admin", "ada@new.example")

    def test_errors(self, users):
        org = self.make_org(users)
        with pytest.raises(Conflict):
            self.make_org(users)
        with pytest.raises(ValidationFailed) as exc:
            users.organizations.create(name="X", slug="has spaces")
        assert "slug" in exc.value.errors
        with pytest.raises(NotFound):
            users.members_of_organization(organization_uuid=uuid.uuid4())
        with pytest.raises(ValidationFailed) as exc:
            users.people.create(username="eve", full_name="Eve", organization=uuid.uuid4())
        assert "organization" in exc.value.errors
        with pytest.raises(Conflict):
            users.people.create(username="dup", full_name="A", organization=org.uuid)
            users.people.create(username="dup", full_name="B", organization=org.uuid)
