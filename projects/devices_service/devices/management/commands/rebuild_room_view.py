"""`manage.py rebuild_room_view`: copy every facilities room into the devices read model."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devices import rooms
from domain_services import DomainError


class Command(BaseCommand):
    help = (
        "Copy every room of the facilities domain into this service's read model of rooms "
        "(the labels the devices admin and API show), a page at a time, and mark the rooms "
        "that are gone. Run it once when the read model is new or after a restore; events "
        "keep it current afterwards. Safe while the event consumer runs."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--page-size", type=int, default=rooms.PAGE_SIZE, help="Rooms per call (max 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["page_size"] <= 500:
            raise CommandError("--page-size must be between 1 and 500.")
        try:
            copied, gone = rooms.rebuild(page_size=options["page_size"])
        except DomainError as exc:
            raise CommandError(f"The facilities domain could not be read: {exc.message}") from exc
        self.stdout.write(f"rebuild_room_view: {copied} rooms copied, {gone} marked deleted")
