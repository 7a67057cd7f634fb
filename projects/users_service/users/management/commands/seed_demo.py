"""`manage.py seed_demo`: the users part of the demo data (idempotent)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from org_interfaces import demo_data
from users.models import Organization, Person


class Command(BaseCommand):
    help = "Create or refresh the demo organizations, people and the staff user."

    @transaction.atomic
    def handle(self, *args, **options):
        orgs = demo_data.upsert(Organization, demo_data.organizations())
        user_model = get_user_model()
        for row in demo_data.people():
            fields = dict(row.fields)
            user, _ = user_model._default_manager.update_or_create(
                username=fields.pop("username"), defaults={"email": fields.pop("email")}
            )
            fields["organization"] = Organization.objects.get(uuid=fields["organization"])
            Person.objects.update_or_create(uuid=row.uuid, defaults={**fields, "user": user})
        username, password = demo_data.ensure_staff_user()
        self.stdout.write(f"users: {orgs} organizations, staff user {username} / {password}")
