"""A domain that keeps a ledger of the events it received: the effect the event tests count."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "tests.ledger"
    label = "ledger"

    def ready(self) -> None:
        from domain_services import events
        from tests.ledger.handlers import record_effect

        # Entries are another domain's objects: consume_events subscribes to their creations.
        events.subscribe(events.ObjectCreated, record_effect, target="ledger.Entry")
