"""`manage.py mqtt_consume`: run the device status ingestion consumer until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from domain_services import errors
from domain_services.integrations.mqtt.settings import check_group_name, load_config

HELP = """\
Consume device status messages (devices/<eui>/status) from the MQTT broker in MQTT['URL']
(or $MQTT_URL) into the device status store in MONGODB (or $MONGODB_URL).

Every message is acknowledged only after it is written to MongoDB or, when invalid, to the
dead-letter collection `device_dead_letters` (with the reason). The broker keeps what is not
acknowledged in the consumer's persistent session, so stopping or killing this process loses
nothing: the next run with the same --client-id receives it.

Run ONE process per client id. To share the load between several processes, give each its own
--client-id and the same --group (an MQTT shared subscription). Stop with SIGTERM or Ctrl-C: what
was received is written and acknowledged, then the process exits with status 0. If MongoDB is
down then, it waits up to MQTT['CONSUMER']['SHUTDOWN_GRACE'] seconds (10) and exits 0 without
acknowledging: the broker keeps those messages for the next run (a second signal skips the
wait). Counters are logged every MQTT['CONSUMER']['LOG_INTERVAL'] seconds and at exit.

Defaults come from MQTT['CONSUMER'] (see docs/mqtt.md); the options below override them.
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
            "Default: MQTT['CONSUMER']['CLIENT_ID'].",
        )
        parser.add_argument(
            "--group",
            help="Join the shared-subscription group GROUP ($share/GROUP/devices/+/status) so "
            "several consumers split the messages. Default: MQTT['CONSUMER']['SHARED_GROUP'].",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="Write to MongoDB once N messages are pending (default "
            "MQTT['CONSUMER']['BATCH_SIZE'], 500); under a backlog a write takes more. "
            "The broker's in-flight window must allow at least one batch.",
        )
        parser.add_argument(
            "--flush-interval",
            type=float,
            help="Write a partial batch once its oldest message is this many seconds old "
            "(default MQTT['CONSUMER']['FLUSH_INTERVAL'], 0.05).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here so `manage.py help` works without the mqtt/mongodb extras installed.
        from domain_services.devices.dead_letters import DeadLetterStore
        from domain_services.devices.ingestion import StatusConsumer, freeze_startup_objects
        from domain_services.devices.status_store import DeviceMongoDBService

        _ensure_logging(int(options.get("verbosity", 1)))
        try:
            config = load_config()
            if options["group"]:
                check_group_name(options["group"], setting="--group")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["flush_interval"] is not None and options["flush_interval"] <= 0:
            raise CommandError("--flush-interval must be positive.")

        dead_letters = DeadLetterStore(ttl_seconds=config.consumer.dead_letter_ttl)
        try:
            dead_letters.ensure_indexes()
        except errors.DomainError as exc:
            # Not fatal: the consumer waits for MongoDB anyway; `ensure_indexes` can run later.
            logging.getLogger(__name__).warning("Could not create dead-letter indexes: %s", exc)
        consumer = StatusConsumer(
            store=DeviceMongoDBService(),
            dead_letters=dead_letters,
            config=config,
            client_id=options["client_id"],
            shared_group=options["group"],
            batch_size=options["batch_size"],
            flush_interval=options["flush_interval"],
        )
        freeze_startup_objects()
        stats = consumer.run()
        self.stdout.write(f"mqtt_consume stopped: {stats.summary()}")


def _ensure_logging(verbosity: int) -> None:
    """Counters and warnings must reach stderr even when the project configures no handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    level = logging.DEBUG if verbosity > 2 else logging.INFO if verbosity > 0 else logging.WARNING
    logging.getLogger("domain_services").setLevel(level)
