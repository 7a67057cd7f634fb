"""Settings of the relay and consumer processes the event fault tests start.

The test's own database (TEST_EVENTS_DATABASE, on the DATABASE_URL server) and broker
(MQTT_URL) come from the environment; the ledger domain is served elsewhere, so the consumer
subscribes to its events.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TEST_EVENTS_DATABASE"]}}
MQTT = {
    "URL": os.environ["MQTT_URL"],
    "RECONNECT_MIN_DELAY": 0.05,
    "RECONNECT_MAX_DELAY": 0.5,
    "CONNECT_TIMEOUT": 5,
    "PUBLISH_TIMEOUT": 5,
}
DOMAIN_SERVICES_EVENTS = {
    "OUTBOX": ["ledger"],
    "RELAY": {
        "BATCH_SIZE": int(os.environ.get("TEST_RELAY_BATCH", "200")),
        "POLL_INTERVAL": 0.02,
        "LOG_INTERVAL": 0.5,
        "RETRY_MIN_DELAY": 0.05,
        "RETRY_MAX_DELAY": 0.5,
    },
    "CONSUMER": {
        "CLIENT_ID": os.environ.get("TEST_CONSUMER_ID", "events-test-consumer"),
        "BATCH_SIZE": 200,
        "FLUSH_INTERVAL": 0.01,
        "LOG_INTERVAL": 0.5,
        "RETRY_MIN_DELAY": 0.05,
        "RETRY_MAX_DELAY": 0.5,
    },
}
