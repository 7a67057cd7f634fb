"""The pytest plugin: `-p domain_services.testing.plugin`.

It registers the real-component fixtures (MongoDB wire server, Mosquitto broker) and the
Django database helpers that the library's own tests and the projects' tests share.
"""

from __future__ import annotations

from domain_services.testing.mongodb import (  # noqa: F401
    any_mongo_database,
    fake_mongo_database,
    mongo_client,
    mongo_database,
    mongodb_url,
)
from domain_services.testing.mqtt import mosquitto, mqtt_broker, mqtt_url  # noqa: F401
