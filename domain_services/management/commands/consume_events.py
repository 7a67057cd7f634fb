"""`manage.py consume_events`: apply other domains' events from MQTT until SIGTERM/SIGINT."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from domain_services.management.commands.relay_events import ensure_logging

HELP = """\
Receive the events of the domains this project does not serve, from the MQTT broker in
MQTT['URL'] (or $MQTT_URL), and run this project's handlers for them: SET_NULL and CASCADE
reference policies for deletions, read models kept current. The topics are derived from what
the project needs (handlers subscribed to another domain's objects, SET_NULL/CASCADE
references into another domain); --topic replaces them.

Each event is applied exactly once in effect: its id is recorded in the inbox table in the
transaction of its handlers' writes, and it is acknowledged to the broker only after that
commits. The broker keeps what is not acknowledged in the consumer's persistent session, so
stopping or killing this process loses nothing: the next run with the same --client-id gets it.
Messages that are not valid events are refused with a reason (logged, counted) and the consumer
goes on.

Run ONE process per client id. To share the load, give each process its own --client-id and
the same --group (an MQTT shared subscription). Stop with SIGTERM or Ctrl-C: the batch in hand
is applied and acknowledged, then the process exits with status 0. See docs/events.md.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--client-id",
            help="Stable MQTT client id: the broker keeps the session (and the backlog) by it. "
            "Default: CONSUMER['CLIENT_ID'], else '<local domains>-events'.",
        )
        parser.add_argument(
            "--group",
            help="Join the shared-subscription group GROUP so several consumers split the "
            "events. Default: CONSUMER['GROUP'].",
        )
        parser.add_argument(
            "--database",
            help="The DATABASES alias of the inbox and of the handlers' writes "
            "(default CONSUMER['DATABASE'], 'default').",
        )
        parser.add_argument(
            "--topic",
            action="append",
            dest="topics",
            metavar="FILTER",
            help="Subscribe to this topic filter instead of the derived ones (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here so `manage.py help` works without the mqtt extra installed.
        from domain_services.events.inbox import Inbox
        from domain_services.events.settings import check_group, events_config
        from domain_services.events.topics import consumed_topics, local_domains
        from domain_services.integrations.mqtt.events import EventConsumer
        from domain_services.integrations.mqtt.settings import load_config

        ensure_logging(int(options.get("verbosity", 1)))
        try:
            config = events_config()
            mqtt = load_config()
            if options["group"]:
                check_group(options["group"], setting="--group")
            topics = options["topics"] or consumed_topics(config.topic_prefix)
            client_id = (
                options["client_id"]
                or config.consumer.client_id
                or "-".join([*sorted(local_domains()), "events"])
            )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        database = options["database"] or config.consumer.database
        if database not in connections:
            raise CommandError(f"--database {database!r} is not an alias of DATABASES.")
        if not topics:
            raise CommandError(
                "This project consumes no events: no handler subscribes to another domain's "
                "objects and no SET_NULL or CASCADE reference points into another domain."
            )
        consumer = EventConsumer(
            topics=topics,
            prefix=config.topic_prefix,
            client_id=client_id,
            options=config.consumer,
            group=options["group"],
            config=mqtt,
            inbox=Inbox(database=database, max_attempts=config.consumer.max_attempts),
        )
        stats = consumer.run()
        self.stdout.write(f"consume_events stopped: {stats.summary()}")
