"""`manage.py seed_demo`: the devices part of the demo data (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from devices.models import Device
from org_interfaces import demo_data


class Command(BaseCommand):
    help = "Create or refresh the demo devices and the staff user."

    @transaction.atomic
    def handle(self, *args, **options):
        count = demo_data.upsert(Device, demo_data.devices())
        username, _ = demo_data.ensure_staff_user()
        self.stdout.write(f"devices: {count} devices, staff {username}")
