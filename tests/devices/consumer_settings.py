"""Settings for `python -m django mqtt_consume` run as a subprocess by the SIGKILL test.

MQTT_URL, MONGODB_URL and TEST_MONGODB_DATABASE come from the environment.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "domain_services.devices"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
MONGODB = {
    "URL": os.environ.get("MONGODB_URL", ""),
    "DATABASE": os.environ.get("TEST_MONGODB_DATABASE", "domain_services_tests"),
    # A stopped server is reported in a fraction of a second, not after 2 s.
    "OPTIONS": {"serverSelectionTimeoutMS": 300, "connectTimeoutMS": 300},
}
MQTT = {
    "URL": os.environ.get("MQTT_URL", ""),
    "RECONNECT_MIN_DELAY": 0.05,
    "RECONNECT_MAX_DELAY": 0.5,
    "CONSUMER": {
        "CLIENT_ID": os.environ.get("TEST_MQTT_CLIENT_ID", "sigkill-test-consumer"),
        "BATCH_SIZE": 200,
        "FLUSH_INTERVAL": 0.02,
        "LOG_INTERVAL": 1,
        "RETRY_MIN_DELAY": 0.05,
        "RETRY_MAX_DELAY": 0.5,
        "SHUTDOWN_GRACE": float(os.environ.get("TEST_SHUTDOWN_GRACE", "10")),
    },
}
