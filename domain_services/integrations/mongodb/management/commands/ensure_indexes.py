"""`manage.py ensure_indexes`: create the declared indexes of every MongoDB service."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from domain_services.errors import DomainError
from domain_services.integrations.mongodb.service import BaseMongoDBService, registered_services


def discover_services() -> list[type[BaseMongoDBService]]:
    """Import each installed app's `mongodb` module, then list every registered service."""
    autodiscover_modules("mongodb")
    return registered_services()


class Command(BaseCommand):
    help = (
        "Create the indexes (including TTL indexes) that every MongoDB service declares in its "
        "`indexes`, in the database from the MONGODB setting (MONGODB_URL overrides its URL). "
        "Services are found by importing each installed app's `mongodb` module (and any module "
        "already imported that defines one). Safe to run on every deploy: existing indexes are "
        "left as they are, a changed TTL is updated in place, and an index whose other options "
        "changed is reported, never dropped."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--collection",
            action="append",
            default=[],
            metavar="NAME",
            help="Only the service(s) of this collection; repeat for several. Default: all.",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            help="Only list the services and their declared indexes; change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        services = discover_services()
        wanted = set(options["collection"])
        if wanted:
            services = [s for s in services if s.collection_name in wanted]
            missing = wanted - {s.collection_name for s in services}
            if missing:
                raise CommandError(f"No MongoDB service for collection(s): {sorted(missing)}")
        if not services:
            self.stdout.write("No MongoDB services with indexes found.")
            return
        failed = 0
        for service_class in services:
            label = f"{service_class.__module__}.{service_class.__qualname__}"
            declared = [index.document["name"] for index in service_class.indexes]
            if options["list"]:
                names = ", ".join(declared) or "(none)"
                self.stdout.write(f"{service_class.collection_name}: {names}  [{label}]")
                continue
            try:
                created = service_class().ensure_indexes()
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{service_class.collection_name}: {exc}")
                continue
            names = ", ".join(created) or "(no indexes declared)"
            self.stdout.write(self.style.SUCCESS(f"{service_class.collection_name}: {names}"))
        if failed:
            raise CommandError(f"{failed} collection(s) could not be indexed; see above.")
