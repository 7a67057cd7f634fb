"""Each domain contract, against the local implementation and the REST client."""

from __future__ import annotations

import pytest

from domain_services import services
from org_interfaces.contracts import DevicesContract, FacilitiesContract, UsersContract
from org_interfaces.devices import Devices
from org_interfaces.facilities import Facilities
from org_interfaces.users import Users

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

BACKENDS = ["local", "rest"]


@pytest.fixture(params=BACKENDS)
def users(request):
    if request.param == "local":
        return services.users
    return request.getfixturevalue("rest_client")("users", Users)


@pytest.fixture(params=BACKENDS)
def facilities(request):
    if request.param == "local":
        return services.facilities
    return request.getfixturevalue("rest_client")("facilities", Facilities)


@pytest.fixture(params=BACKENDS)
def devices(request):
    if request.param == "local":
        return services.devices
    return request.getfixturevalue("rest_client")("devices", Devices)


@pytest.fixture
def organization_uuid():
    return services.users.organizations.create(name="Owner", slug="owner").uuid


@pytest.fixture
def site(make_site):
    return make_site()


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
