"""Each domain's interface against the generic contract (local, over REST, the derived fake),
and each domain's own contract (its operations and rules), local and over REST."""

from __future__ import annotations

import pytest

from domain_services import services
from domain_services.testing.contract import InterfaceContract
from org_interfaces.contracts import DevicesContract, FacilitiesContract, UsersContract
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

BACKENDS = ["local", "rest"]


@pytest.fixture
def organization_uuid():
    return services.users.organizations.create(name="Owner", slug="owner").uuid


@pytest.fixture
def site(make_site):
    return make_site()


# -- the generic contract: what each declaration promises --------------------------------------


class TestUsersInterface(InterfaceContract):
    interface = Users
    backends = ("local", "rest", "fake")
    samples = {
        "organizations": lambda ctx: {"name": f"Organization {ctx.n}", "slug": f"org-{ctx.n}"},
        "people": lambda ctx: {
            "username": f"user{ctx.n}",
            "email": f"user{ctx.n}@example.com",
            "full_name": f"Person {ctx.n}",
            "organization": ctx.create("organizations").uuid,
            "role": ("member", "admin")[ctx.n % 2],
        },
    }


class TestFacilitiesInterface(InterfaceContract):
    interface = Facilities
    backends = ("local", "rest", "fake")
    samples = {
        "buildings": lambda ctx: {
            "name": f"Building {ctx.n}",
            "address": f"{ctx.n} Main St",
            "organization": ctx.fixture("organization_uuid"),
        },
        "floors": lambda ctx: {
            "building": ctx.create("buildings").uuid,
            "level": ctx.n % 300,
            "name": f"Floor {ctx.n}",
        },
        "rooms": lambda ctx: {"floor": ctx.create("floors").uuid, "name": f"Room {ctx.n}"},
    }


class TestDevicesInterface(InterfaceContract):
    interface = Devices
    backends = ("local", "rest", "fake")
    samples = {
        "devices": lambda ctx: {
            "eui": f"{ctx.n:016X}",
            "name": f"Device {ctx.n}",
            "kind": ("sensor", "meter")[ctx.n % 2],
            "firmware": f"1.{ctx.n}",
            "room": ctx.fixture("site").rooms[ctx.n % 2],
            "organization": ctx.fixture("site").organization,
        },
        "thresholds": lambda ctx: {
            "room": ctx.fixture("site").rooms[ctx.n % 2],
            "reading": f"reading_{ctx.n}",
            "minimum": float(ctx.n % 20),
            "maximum": float(ctx.n % 20 + 10),
        },
    }


# -- each domain's own contract ----------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def users(request):
    if request.param == "local":
        return services.users
    return request.getfixturevalue("serve_over_rest")(Users)


@pytest.fixture(params=BACKENDS)
def facilities(request):
    if request.param == "local":
        return services.facilities
    return request.getfixturevalue("serve_over_rest")(Facilities)


@pytest.fixture(params=BACKENDS)
def devices(request):
    if request.param == "local":
        return services.devices
    return request.getfixturevalue("serve_over_rest")(Devices)


class TestUsersContract(UsersContract):
    pass


class TestFacilitiesContract(FacilitiesContract):
    pass


class TestDevicesContract(DevicesContract):
    pass


class TestDevicesContractWithRemoteNeighbours(DevicesContract):
    """Devices local, users and facilities over REST: a settings change, same assertions."""

    @pytest.fixture
    def devices(self, remote_neighbours):
        return services.devices

    @pytest.fixture
    def site(self, make_site):
        return make_site()
