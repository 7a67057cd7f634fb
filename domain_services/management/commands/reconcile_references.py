"""`manage.py reconcile_references`: find references to objects gone from their domain."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

HELP = """\
For every UUIDReference field of this project, ask the owning domain (local, or over REST)
which of the referenced objects still exist, BATCH_SIZE UUIDs per get_many call, and report
the references to objects that are gone. With --apply, apply each reference's policy to them:
set_null clears the reference, cascade deletes the referring rows (announced as events, like a
deletion event would), protect is reported only: decide by hand what those rows should point at.

Events keep references current as objects are deleted; run this to repair what events could
not: deletions from before the outbox existed, a broker that lost a consumer's session, a
database restored from a backup. Exit status 1 when a domain could not be asked.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Apply each reference's policy (default: report)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="UUIDs per get_many call to the owning domain (default 500).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from domain_services.reconciliation import dangling_references, repair

        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        found = dangling_references(batch_size=batch_size)
        failed = False
        for dangling in found:
            self.stdout.write(str(dangling))
            failed |= bool(dangling.error)
            if options["apply"] and dangling.missing:
                if dangling.reference.on_delete.value == "protect":
                    self.stdout.write("  protect: left as it is; repair these rows by hand")
                    continue
                changed = repair(dangling)
                verb = "deleted" if dangling.reference.on_delete.value == "cascade" else "cleared"
                self.stdout.write(f"  {verb} {changed} rows")
        total = sum(len(d.missing) for d in found)
        self.stdout.write(
            f"reconcile_references: {total} missing objects referred to"
            + ("" if options["apply"] else " (report only; --apply repairs)")
        )
        if failed:
            raise CommandError("Some domains could not be asked; see above.")
