"""`make demo` serves the portal in services mode: its pages read the three services over REST
and its forms write through them (a stack of its own, like test_demo_stack's)."""

from __future__ import annotations

import re

import requests

from org_interfaces import demo_data
from tests.e2e.test_demo_stack import AUTH, Stack, stack  # noqa: F401 - the fixture

DEVICE_ROW = re.compile(r'<td><a href="/devices/[0-9a-f-]{36}/">')


def portal_url(stack: Stack) -> str:  # noqa: F811
    found = re.search(r"portal\s+(http://127\.0\.0\.1:\d+)/devices/", stack.text())
    assert found, stack.tail()
    return found.group(1)


def test_the_portal_lists_the_services_devices(stack: Stack) -> None:  # noqa: F811
    response = requests.get(f"{portal_url(stack)}/devices/", timeout=10)

    assert response.status_code == 200, response.text[:2000]
    page = response.text
    assert len(DEVICE_ROW.findall(page)) == len(demo_data.device_euis())
    # Names from all three services on one page: the device, its room's building, its owner.
    assert "Acme sensor 1" in page and "Acme Building 1" in page and "Globex Facilities" in page


def test_a_device_registered_in_the_portal_is_the_devices_services(stack: Stack) -> None:  # noqa: F811
    portal = portal_url(stack)
    session = requests.Session()
    form = session.get(f"{portal}/devices/new/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text[:2000]
    organization = next(demo_data.organizations()).uuid
    room = next(demo_data.rooms()).uuid

    created = session.post(
        f"{portal}/devices/new/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "eui": "70B3D57ED0FFAB01",
            "name": "Registered in the portal",
            "kind": "meter",
            "firmware": "",
            "organization": str(organization),
            "room": str(room),
        },
        headers={"Referer": f"{portal}/devices/new/"},
        timeout=10,
        allow_redirects=False,
    )

    assert created.status_code == 302, created.text[:3000]
    found = requests.get(
        f"{stack.urls['devices']}/api/v1/devices/?eui=70B3D57ED0FFAB01", headers=AUTH, timeout=10
    ).json()
    assert [d["name"] for d in found["results"]] == ["Registered in the portal"]
