"""The room select in a real browser: sign in, search a room by name, pick it, save.

Chromium (Debian's, `apt-get install -y chromium`) driven by Playwright for Python (the `dev`
extra); nothing is downloaded by Playwright itself. Screenshots of each step are written to
the test's temporary directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from devices.models import Device
from domain_services import services
from org_interfaces.facilities import Facilities

from .test_admin_references import unreachable

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the test fails below, saying how to get it
    expect = sync_playwright = None

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; a test fails (not skips) with how to get either."""
    if sync_playwright is None:
        pytest.fail("Playwright is missing: pip install -e '.[dev]' (or pip install playwright).")
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (Debian's Chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")


def test_staff_pick_a_room_by_name_in_the_device_form(
    live_server, make_site, real_components, staff_user, tmp_path
):
    site = make_site()
    device = services.devices.register_device(
        eui="70B3D57ED0001234", name="Boiler", room=site.rooms[0], organization=site.organization
    )
    pk = Device.objects.get(uuid=device.uuid).pk

    # The database is read before and after the browser: Django refuses ORM calls in a thread
    # where Playwright's event loop runs.
    with chromium() as browser:
        page = sign_in(browser, live_server.url)
        pick_a_room(page, live_server.url, pk, tmp_path)
        # Facilities goes down (for the live server's thread too): the form still works.
        services.override("facilities", unreachable("facilities", Facilities))
        page.goto(f"{live_server.url}/admin/devices/device/{pk}/change/")
        expect(page.locator("input#id_room")).to_have_value(str(site.rooms[1]))
        expect(page.locator(".field-room .help")).to_contain_text("cannot answer right now")
        expect(page.locator(".field-organization .select2-selection__rendered")).to_have_text(
            "Acme"
        )
        page.screenshot(path=tmp_path / "4-facilities-down.png", full_page=True)

    assert services.devices.devices.get(device.uuid).room == site.rooms[1]


def sign_in(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(10_000)
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/admin/")
    return page


def pick_a_room(page: Any, url: str, pk: int, shots: Any) -> None:
    page.goto(f"{url}/admin/devices/device/{pk}/change/")
    room = page.locator(".field-room .select2-selection__rendered")
    expect(room).to_have_text("HQ / Level 1 / R0")
    page.screenshot(path=shots / "1-change-form.png", full_page=True)

    page.click(".field-room .select2-selection")
    page.keyboard.type("R1")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["HQ / Level 1 / R1"])  # R0 and the other building's X1: no
    page.screenshot(path=shots / "2-searching.png", full_page=True)
    options.first.click()
    expect(room).to_have_text("HQ / Level 1 / R1")

    page.click("input[name=_save]")
    page.wait_for_url(f"{url}/admin/devices/device/")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    expect(page.locator("tr", has_text="Boiler").locator(".field-room_name")).to_have_text(
        "HQ / Level 1 / R1"
    )
    page.screenshot(path=shots / "3-saved.png", full_page=True)
