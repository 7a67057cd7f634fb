"""`manage.py seed_demo`: the facilities part of the demo data (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from facilities.models import Building, Floor, Room
from org_interfaces import demo_data


class Command(BaseCommand):
    help = "Create or refresh the demo buildings, floors and rooms, and the staff user."

    @transaction.atomic
    def handle(self, *args, **options):
        buildings = demo_data.upsert(Building, demo_data.buildings())
        demo_data.upsert(Floor, demo_data.floors(), building=Building)
        rooms = demo_data.upsert(Room, demo_data.rooms(), floor=Floor)
        username, _ = demo_data.ensure_staff_user()
        self.stdout.write(f"facilities: {buildings} buildings, {rooms} rooms, staff {username}")
