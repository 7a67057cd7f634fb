"""The `DOMAIN_SERVICES_EVENTS` setting, parsed once into a frozen `EventsConfig`.

```python
DOMAIN_SERVICES_EVENTS = {
    "OUTBOX": ["facilities"],   # domains whose events go to the outbox; True: every event
    "TOPIC_PREFIX": "events",   # topics are <prefix>/<domain>/<Model>/<action>
    "OUTBOX_MAX_AGE": 300,      # /health reports the outbox as lagging past this (seconds)
    "RELAY": {"BATCH_SIZE": 500, "POLL_INTERVAL": 0.2, "LOG_INTERVAL": 60},
    "CONSUMER": {"CLIENT_ID": "devices-events", "GROUP": None, "DATABASE": "default",
                 "BATCH_SIZE": 200, "FLUSH_INTERVAL": 0.02, "MAX_PAYLOAD_BYTES": 65536,
                 "MAX_ATTEMPTS": 5, "INBOX_RETENTION": 604800, "LOG_INTERVAL": 60},
}
```

Without the setting nothing is written to an outbox: events reach this process's handlers only.
Every mistake is an `ImproperlyConfigured` naming the key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from domain_services.conf import reject_unknown_keys

SETTING = "DOMAIN_SERVICES_EVENTS"


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """`RELAY`: how `manage.py relay_events` claims and publishes outbox rows."""

    client_id: str = "events-relay"  # a prefix: each relay process adds its host and pid
    batch_size: int = 500
    poll_interval: float = 0.2
    log_interval: float = 60.0
    retry_min_delay: float = 0.2
    retry_max_delay: float = 10.0


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """`CONSUMER`: how `manage.py consume_events` receives, deduplicates and applies events."""

    client_id: str | None = None  # None: "<local domains>-events"
    group: str | None = None
    database: str = "default"
    batch_size: int = 200
    flush_interval: float = 0.02
    max_payload_bytes: int = 65_536
    max_attempts: int = 5
    inbox_retention: int = 7 * 86_400
    log_interval: float = 60.0
    retry_min_delay: float = 0.2
    retry_max_delay: float = 10.0


@dataclass(frozen=True, slots=True)
class EventsConfig:
    """Everything `DOMAIN_SERVICES_EVENTS` says."""

    outbox: bool | frozenset[str] = False
    topic_prefix: str = "events"
    outbox_max_age: float = 300.0
    relay: RelayConfig = RelayConfig()
    consumer: ConsumerConfig = ConsumerConfig()

    def records(self, domain: str) -> bool:
        """Are events of `domain` written to the outbox?"""
        if isinstance(self.outbox, bool):
            return self.outbox
        return domain in self.outbox

    @property
    def enabled(self) -> bool:
        """Does this process write an outbox at all?"""
        return bool(self.outbox)


@functools.cache
def events_config() -> EventsConfig:
    """The parsed setting (cached; tests that change it reset the cache through Django's
    `setting_changed` signal)."""
    return parse(getattr(settings, SETTING, None))


def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        events_config.cache_clear()


setting_changed.connect(_reset)


def parse(raw: Any) -> EventsConfig:
    """Validate one `DOMAIN_SERVICES_EVENTS` value; ImproperlyConfigured names the wrong key."""
    if raw is None:
        return EventsConfig()
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{SETTING} must be a dictionary, not {type(raw).__name__}.")
    known = ("OUTBOX", "TOPIC_PREFIX", "OUTBOX_MAX_AGE", "RELAY", "CONSUMER")
    reject_unknown_keys(raw, known, setting=SETTING)
    outbox = raw.get("OUTBOX", False)
    if isinstance(outbox, bool):
        recorded: bool | frozenset[str] = outbox
    elif isinstance(outbox, list | tuple) and all(
        isinstance(d, str) and d.isidentifier() for d in outbox
    ):
        recorded = frozenset(outbox)
    else:
        raise ImproperlyConfigured(
            f"{SETTING}['OUTBOX'] must be True, False or a list of domain names, not {outbox!r}."
        )
    prefix = raw.get("TOPIC_PREFIX", "events")
    if not isinstance(prefix, str) or not prefix or any(c in prefix for c in "+#\0$"):
        raise ImproperlyConfigured(
            f"{SETTING}['TOPIC_PREFIX'] must be topic levels without wildcards, not {prefix!r}."
        )
    return EventsConfig(
        outbox=recorded,
        topic_prefix=prefix.strip("/"),
        outbox_max_age=_number(raw, "OUTBOX_MAX_AGE", 300.0, SETTING, minimum=1),
        relay=_relay(raw.get("RELAY")),
        consumer=_consumer(raw.get("CONSUMER")),
    )


def _relay(value: Any) -> RelayConfig:
    name = f"{SETTING}['RELAY']"
    if value is None:
        return RelayConfig()
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dictionary.")
    default = RelayConfig()
    known = ("CLIENT_ID", "BATCH_SIZE", "POLL_INTERVAL", "LOG_INTERVAL", "RETRY_MIN_DELAY",
             "RETRY_MAX_DELAY")  # fmt: skip
    reject_unknown_keys(value, known, setting=name)
    return RelayConfig(
        client_id=_text(value, "CLIENT_ID", default.client_id, name),
        batch_size=_number(value, "BATCH_SIZE", 500, name, kind=int, minimum=1, maximum=10_000),
        poll_interval=_number(value, "POLL_INTERVAL", 0.2, name, minimum=0.001),
        log_interval=_number(value, "LOG_INTERVAL", 60.0, name, minimum=0.1),
        retry_min_delay=_number(value, "RETRY_MIN_DELAY", 0.2, name, minimum=0.01),
        retry_max_delay=_number(value, "RETRY_MAX_DELAY", 10.0, name, minimum=0.01),
    )


def _consumer(value: Any) -> ConsumerConfig:
    name = f"{SETTING}['CONSUMER']"
    if value is None:
        return ConsumerConfig()
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dictionary.")
    known = ("CLIENT_ID", "GROUP", "DATABASE", "BATCH_SIZE", "FLUSH_INTERVAL",
             "MAX_PAYLOAD_BYTES", "MAX_ATTEMPTS", "INBOX_RETENTION", "LOG_INTERVAL",
             "RETRY_MIN_DELAY", "RETRY_MAX_DELAY")  # fmt: skip
    reject_unknown_keys(value, known, setting=name)
    group = value.get("GROUP")
    if group is not None:
        check_group(group, setting=f"{name}['GROUP']")
    client_id = value.get("CLIENT_ID")
    if client_id is not None and (not isinstance(client_id, str) or not client_id):
        raise ImproperlyConfigured(f"{name}['CLIENT_ID'] must be a non-empty string.")
    return ConsumerConfig(
        client_id=client_id,
        group=group,
        database=_text(value, "DATABASE", "default", name),
        batch_size=_number(value, "BATCH_SIZE", 200, name, kind=int, minimum=1, maximum=5_000),
        flush_interval=_number(value, "FLUSH_INTERVAL", 0.02, name, minimum=0.001),
        max_payload_bytes=_number(value, "MAX_PAYLOAD_BYTES", 65_536, name, kind=int, minimum=256),
        max_attempts=_number(value, "MAX_ATTEMPTS", 5, name, kind=int, minimum=1),
        inbox_retention=_number(value, "INBOX_RETENTION", 7 * 86_400, name, kind=int, minimum=60),
        log_interval=_number(value, "LOG_INTERVAL", 60.0, name, minimum=0.1),
        retry_min_delay=_number(value, "RETRY_MIN_DELAY", 0.2, name, minimum=0.01),
        retry_max_delay=_number(value, "RETRY_MAX_DELAY", 10.0, name, minimum=0.01),
    )


def check_group(group: Any, *, setting: str) -> str:
    """A shared-subscription group name is one topic level without wildcards."""
    if not isinstance(group, str) or not group or any(c in group for c in "/+#\0"):
        raise ImproperlyConfigured(
            f"{setting} must be a non-empty name without '/', '+', '#', not {group!r}."
        )
    return group


def _text(value: Mapping[str, Any], key: str, default: str, name: str) -> str:
    found = value.get(key, default)
    if not isinstance(found, str) or not found:
        raise ImproperlyConfigured(f"{name}[{key!r}] must be a non-empty string.")
    return found


def _number(
    value: Mapping[str, Any],
    key: str,
    default: Any,
    name: str,
    *,
    kind: type = float,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    found = value.get(key, default)
    if (
        isinstance(found, bool)
        or not isinstance(found, int | float)
        or (kind is int and not isinstance(found, int))
    ):
        noun = "an integer" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name}[{key!r}] must be {noun}, not {found!r}.")
    if minimum is not None and found < minimum:
        raise ImproperlyConfigured(f"{name}[{key!r}] must be >= {minimum}, not {found!r}.")
    if maximum is not None and found > maximum:
        raise ImproperlyConfigured(f"{name}[{key!r}] must be <= {maximum}, not {found!r}.")
    return kind(found)
