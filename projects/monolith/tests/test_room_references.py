"""In the monolith, facilities' events reach the devices domain when their transaction commits:
no outbox, no broker, the same handlers and the same assertions as the multi-process stack."""

from __future__ import annotations

import pytest

from devices.api.rooms import with_room_labels
from domain_services import services
from domain_services.dto import dto_to_dict
from org_interfaces.contracts.room_references import RoomReferencesContract

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def facilities():
    return services.facilities


@pytest.fixture
def devices():
    return services.devices


@pytest.fixture
def site(make_site):
    return make_site()


@pytest.fixture
def eventually():
    # Nothing to wait for: the handlers ran when the write committed.
    return lambda check: check()


@pytest.fixture
def room_labels():
    def labels(organization):
        found = services.devices.devices.list(filters={"organization": organization}).items
        rendered = with_room_labels([dto_to_dict(device) for device in found])
        return {
            device.uuid: (row["room_label"], row["monitored_room_label"])
            for device, row in zip(found, rendered, strict=True)
        }

    return labels


class TestRoomReferences(RoomReferencesContract):
    pass


def test_the_read_model_is_rebuilt_from_the_facilities_interface(make_site):
    from devices import rooms
    from devices.models import RoomView

    site = make_site()
    RoomView.objects.all().delete()

    copied, gone = rooms.rebuild(page_size=2)

    labels = rooms.room_view().get_many(site.rooms)
    expected = {r: services.facilities.rooms.get(r).label for r in site.rooms}
    assert {uuid: label.label for uuid, label in labels.items()} == expected
    assert copied == services.facilities.rooms.list().total and gone == 0
