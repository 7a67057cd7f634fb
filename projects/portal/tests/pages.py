"""Every portal page, in one scenario run the same way in both modes, and how pages compare.

`render_all(client)` walks `SCENARIO` in order (reads first, then writes, each followed to
where it redirects) and answers each step as `{"status": [...], "html": "..."}`; HTML is
normalized for whitespace, CSRF tokens and the UUIDs of objects the scenario creates (the
service and the legacy database each choose their own).

Run as a script (`python -m tests.pages <seen>`), it renders the scenario in legacy mode on a
throwaway database and prints the answers as JSON: `test_same_pages` compares them with what
services mode renders in its own process.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import datetime
from typing import Any

from tests.dataset import dataset, uid

DATA = dataset()
ACME, GLOBEX, INITECH = (o.uuid for o in DATA.organizations)
HQ, ANNEX, TOWER = (b.uuid for b in DATA.buildings)
HQ_FLOOR_1 = uid("floor", "Acme HQ", 1)
ANNEX_FLOOR_1 = uid("floor", "Acme Annex", 1)
ROOM = uid("room", "Acme HQ", 0, 2)  # devices in it
EMPTY_ROOM = next(
    r.uuid
    for r in DATA.rooms
    if r.name.startswith("H") and not any(d.room == r.uuid for d in DATA.devices)
)
TOWER_ROOM = uid("room", "Globex Tower", 0, 1)
DEVICE, MOVED, REMOVED = (d.uuid for d in DATA.devices[:3])
NOWHERE = uuid.UUID("00000000-0000-4000-8000-000000000000")

DEVICE_FIELDS = {"kind": "sensor", "firmware": "", "organization": ACME, "room": ROOM}

# (name, method, path, form data): reads, then writes in an order that keeps each meaningful.
SCENARIO: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("home", "get", "/", None),
    ("organizations", "get", "/organizations/", None),
    ("organization", "get", f"/organizations/{ACME}/", None),
    ("organization new", "get", "/organizations/new/", None),
    ("organization edit", "get", f"/organizations/{ACME}/edit/", None),
    ("organization delete", "get", f"/organizations/{INITECH}/delete/", None),
    ("buildings", "get", "/buildings/", None),
    ("buildings of globex", "get", f"/buildings/?organization={GLOBEX}", None),
    ("buildings bad filter", "get", "/buildings/?organization=not-a-uuid", None),
    ("building", "get", f"/buildings/{HQ}/", None),
    ("building new", "get", f"/buildings/new/?organization={ACME}", None),
    ("building edit", "get", f"/buildings/{HQ}/edit/", None),
    ("floor new", "get", f"/floors/new/?building={HQ}", None),
    ("floor edit", "get", f"/floors/{HQ_FLOOR_1}/edit/", None),
    ("room", "get", f"/rooms/{ROOM}/", None),
    ("room new", "get", f"/rooms/new/?floor={HQ_FLOOR_1}", None),
    ("room new, bad floor", "get", "/rooms/new/?floor=nope", None),
    ("room edit", "get", f"/rooms/{ROOM}/edit/", None),
    ("devices", "get", "/devices/", None),
    ("devices page 2", "get", "/devices/?page=2", None),
    ("devices filtered", "get", f"/devices/?organization={GLOBEX}&kind=meter&ordering=-name", None),
    ("devices no such page", "get", "/devices/?page=9", None),
    ("device", "get", f"/devices/{DEVICE}/", None),
    ("device missing", "get", f"/devices/{NOWHERE}/", None),
    ("device new", "get", "/devices/new/", None),
    ("device edit", "get", f"/devices/{DEVICE}/edit/", None),
    ("device delete", "get", f"/devices/{DEVICE}/delete/", None),
    # Forms refused, by the form or by the owning service.
    ("organization invalid", "post", "/organizations/new/", {"name": "", "slug": "no spaces"}),
    ("organization slug taken", "post", "/organizations/new/", {"name": "Other", "slug": "acme"}),
    (
        "organization name taken",
        "post",
        "/organizations/new/",
        {"name": "Acme Buildings", "slug": "acme-2"},
    ),
    ("building invalid", "post", "/buildings/new/", {"organization": ACME, "name": ""}),
    ("floor level taken", "post", "/floors/new/", {"building": HQ, "level": 1, "name": ""}),
    ("floor level out of range", "post", "/floors/new/", {"building": HQ, "level": 500}),
    (
        "room name taken",
        "post",
        f"/rooms/new/?floor={HQ_FLOOR_1}",
        {"floor": HQ_FLOOR_1, "name": "H101"},
    ),
    (
        "device bad eui",
        "post",
        "/devices/new/",
        {**DEVICE_FIELDS, "eui": "70-b3", "name": "Bad"},
    ),
    (
        "device eui taken",
        "post",
        "/devices/new/",
        {**DEVICE_FIELDS, "eui": DATA.devices[0].eui, "name": "Twin"},
    ),
    (
        "device in another organization's room",
        "post",
        "/devices/new/",
        {**DEVICE_FIELDS, "eui": "70B3D57ED0FF0001", "name": "Stray", "room": TOWER_ROOM},
    ),
    ("delete a room with devices", "post", f"/rooms/{ROOM}/delete/", {}),
    ("delete an organization in use", "post", f"/organizations/{ACME}/delete/", {}),
    # Writes that succeed, each followed to the page it redirects to.
    (
        "organization created",
        "post",
        "/organizations/new/",
        {"name": "Umbrella", "slug": "umbrella"},
    ),
    (
        "organization renamed",
        "post",
        f"/organizations/{ACME}/edit/",
        {"name": "Acme Buildings Ltd", "slug": "acme"},
    ),
    (
        "building created",
        "post",
        "/buildings/new/",
        {"organization": GLOBEX, "name": "Globex Depot", "address": "1 Depot Road"},
    ),
    ("floor created", "post", "/floors/new/", {"building": HQ, "level": 5, "name": "Roof"}),
    (
        "room created",
        "post",
        f"/rooms/new/?floor={HQ_FLOOR_1}",
        {"floor": HQ_FLOOR_1, "name": "H199"},
    ),
    (
        "device registered",
        "post",
        "/devices/new/",
        {**DEVICE_FIELDS, "eui": "70B3D57ED0FF0002", "name": "Fresh", "kind": "meter"},
    ),
    (
        "device moved",
        "post",
        f"/devices/{MOVED}/edit/",
        {**DEVICE_FIELDS, "name": "Moved", "firmware": "2.0.0", "room": ROOM},
    ),
    ("device removed", "post", f"/devices/{REMOVED}/delete/", {}),
    ("empty room removed", "post", f"/rooms/{EMPTY_ROOM}/delete/", {}),
    ("building with rooms removed", "post", f"/buildings/{ANNEX}/delete/", {}),
    ("empty organization removed", "post", f"/organizations/{INITECH}/delete/", {}),
    # What the writes left.
    ("organizations after", "get", "/organizations/", None),
    ("building after", "get", f"/buildings/{HQ}/", None),
    ("devices after", "get", "/devices/?ordering=-name", None),
]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KNOWN = {str(u) for u in [*DATA.uuids(), NOWHERE]}


def normalize(html: str, created: dict[str, str]) -> str:
    """Whitespace collapsed, CSRF tokens blanked, new objects' UUIDs numbered."""
    html = CSRF.sub('name="csrfmiddlewaretoken" value="-"', html)

    def number(match: re.Match[str]) -> str:
        found = match.group(0)
        if found in KNOWN:
            return found
        return created.setdefault(found, f"<created-{len(created) + 1}>")

    html = UUID.sub(number, html)
    html = re.sub(r">\s+<", "><", html)
    return re.sub(r"\s+", " ", html).strip()


def render_all(client: Any) -> dict[str, dict[str, Any]]:
    """Each step of `SCENARIO`: its status codes (redirects followed) and normalized HTML."""
    created: dict[str, str] = {}
    pages: dict[str, dict[str, Any]] = {}
    for name, method, path, data in SCENARIO:
        if method == "get":
            response = client.get(path, follow=True)
        else:
            response = client.post(path, {k: str(v) for k, v in (data or {}).items()}, follow=True)
        chain = [normalize(url, created) for url, _status in response.redirect_chain]
        pages[name] = {
            "status": [status for _url, status in response.redirect_chain] + [response.status_code],
            "redirects": chain,
            "html": normalize(response.content.decode(), created),
        }
    return pages


def main(seen: datetime) -> None:
    """Legacy mode: the data set on a throwaway copy of the portal's database, every page."""
    import django
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from tests.dataset import seed_legacy

    django.setup()
    setup_test_environment(debug=False)
    name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        seed_legacy(seen)
        pages = render_all(Client())
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    json.dump(pages, sys.stdout)


if __name__ == "__main__":
    main(datetime.fromisoformat(sys.argv[1]))
