"""`manage.py seed_demo` (legacy mode): the demo data set in the portal's own database.

The same organizations, buildings, floors, rooms and devices, with the same UUIDs, as the three
services' `seed_demo` store in their databases, so the portal reads alike in either mode.
Idempotent.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from org_interfaces import demo_data
from portal_legacy import models as legacy


class Command(BaseCommand):
    help = "Create or refresh the demo data in the portal's own database (legacy mode)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        counts = {
            "organizations": demo_data.upsert(legacy.Organization, demo_data.organizations()),
            "buildings": demo_data.upsert(
                legacy.Building, demo_data.buildings(), organization=legacy.Organization
            ),
            "floors": demo_data.upsert(legacy.Floor, demo_data.floors(), building=legacy.Building),
            "rooms": demo_data.upsert(legacy.Room, demo_data.rooms(), floor=legacy.Floor),
            "devices": demo_data.upsert(
                legacy.Device,
                demo_data.devices(),
                room=legacy.Room,
                organization=legacy.Organization,
            ),
        }
        self.stdout.write("portal (legacy): " + ", ".join(f"{n} {k}" for k, n in counts.items()))
