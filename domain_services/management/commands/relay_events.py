"""`manage.py relay_events`: publish the outbox's events over MQTT until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

HELP = """\
Publish the domain events written to the outbox (DOMAIN_SERVICES_EVENTS['OUTBOX']) to the MQTT
broker in MQTT['URL'] (or $MQTT_URL), oldest first, on topics
<TOPIC_PREFIX>/<domain>/<Model>/<action> with QoS 1, and delete each event once the broker
has confirmed it. An event is never lost: one that was not confirmed (broker down, relay
killed) stays in the outbox and is published again; consumers deduplicate by event id.

Runs until SIGTERM or Ctrl-C, finishing the batch in hand, then exits with status 0. Counters
are logged every DOMAIN_SERVICES_EVENTS['RELAY']['LOG_INTERVAL'] seconds and at exit.

On PostgreSQL several relays may run at once (rows are claimed with FOR UPDATE SKIP LOCKED, so
no event is published by two of them); on SQLite run one. Each relay connects with a client
id of its own (RELAY['CLIENT_ID'] followed by its host and process id). See docs/events.md.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--database",
            action="append",
            dest="databases",
            metavar="ALIAS",
            help="Relay the outbox on this DATABASES alias (repeat for several). Default: every "
            "alias that has the outbox table.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="Events per claimed batch (default RELAY['BATCH_SIZE'], 500).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Publish what is waiting now, then exit (0 when everything was published).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here so `manage.py help` works without the mqtt extra installed.
        from domain_services.events.relay import Relay
        from domain_services.events.settings import events_config
        from domain_services.integrations.mqtt.events import MQTTTransport, relay_client_id
        from domain_services.integrations.mqtt.settings import load_config

        ensure_logging(int(options.get("verbosity", 1)))
        log = logging.getLogger("domain_services.events.relay")
        try:
            config = events_config()
            mqtt = load_config()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["batch_size"] is not None and not 1 <= options["batch_size"] <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        unknown = [a for a in options["databases"] or () if a not in connections]
        if unknown:
            raise CommandError(f"--database {unknown[0]!r} is not an alias of DATABASES.")
        databases = options["databases"] or outbox_databases()
        if not databases:
            raise CommandError(
                "No database has the outbox table (domain_services_outbox_event): run "
                "`manage.py migrate` (on every alias that holds a domain's data)."
            )
        if not config.enabled:
            log.warning(
                "DOMAIN_SERVICES_EVENTS['OUTBOX'] is not set: this project writes no events to "
                "the outbox; relaying what is there."
            )
        transport = MQTTTransport(mqtt, client_id=relay_client_id(config.relay.client_id))
        relay = Relay(
            transport,
            databases=databases,
            prefix=config.topic_prefix,
            batch_size=options["batch_size"] or config.relay.batch_size,
            poll_interval=config.relay.poll_interval,
            log_interval=config.relay.log_interval,
            retry_min_delay=config.relay.retry_min_delay,
            retry_max_delay=config.relay.retry_max_delay,
        )
        transport.start(wait=mqtt.connect_timeout if options["once"] else 0)
        try:
            if options["once"]:
                if not transport.is_connected:
                    raise CommandError(f"MQTT broker {mqtt.url} did not accept the connection.")
                sent = relay.drain()
                self.stdout.write(f"relay_events: published {sent} events")
                return
            stats = relay.run()
        finally:
            transport.close()
        self.stdout.write(f"relay_events stopped: {stats.summary()}")


def outbox_databases() -> list[str]:
    """The DATABASES aliases that have the outbox table; an alias that cannot be asked now is
    kept (the relay retries it)."""
    from domain_services.events.models import OutboxEvent

    table = OutboxEvent._meta.db_table
    found = []
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                tables = connections[alias].introspection.table_names(cursor)
        except DatabaseError:
            found.append(alias)
            continue
        if table in tables:
            found.append(alias)
    return found


def ensure_logging(verbosity: int) -> None:
    """Counters and warnings must reach stderr even when the project configures no handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    level = logging.DEBUG if verbosity > 2 else logging.INFO if verbosity > 0 else logging.WARNING
    logging.getLogger("domain_services").setLevel(level)
