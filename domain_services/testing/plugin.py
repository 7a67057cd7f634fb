"""The pytest plugin: `-p domain_services.testing.plugin` (or `pytest_plugins` in a root conftest).

It registers the fixtures of every extra and loads whatever extras are installed: a fixture
that needs a missing extra fails, when a test uses it, with an ImportError naming the
`pip install` line; the others work.

- MongoDB (`[mongodb]`): `mongodb_url`, `mongo_client`, `mongo_database`, `fake_mongo_database`,
  `any_mongo_database`;
- MQTT (the `mosquitto` binary): `mqtt_url`, `mosquitto`, `mqtt_broker`;
- REST (`[rest]`, pytest-django): `serve_over_rest`.

It also deselects the generic contract tests that no declared resource of an interface applies
to (`domain_services.testing.contract`).
"""

from __future__ import annotations

import pytest

from domain_services.testing.contract import NOT_APPLICABLE
from domain_services.testing.mongodb import (  # noqa: F401
    any_mongo_database,
    fake_mongo_database,
    mongo_client,
    mongo_database,
    mongodb_url,
)
from domain_services.testing.mqtt import mosquitto, mqtt_broker, mqtt_url  # noqa: F401
from domain_services.testing.rest import serve_over_rest  # noqa: F401


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the contract tests that apply to none of the interface's resources."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        (dropped if params.get("contract_resource") is NOT_APPLICABLE else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
