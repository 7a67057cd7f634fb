"""MongoDB integration: settings, one client per process, `BaseMongoDBService`, index management.

Add `"domain_services.integrations.mongodb"` to `INSTALLED_APPS` for `manage.py ensure_indexes`.
"""

from __future__ import annotations

from domain_services._optional import require_extra

require_extra("pymongo", extra="mongodb")

from domain_services.integrations.mongodb.client import (  # noqa: E402
    get_client,
    get_database,
    mongo_settings,
    reset_client,
)
from domain_services.integrations.mongodb.service import (  # noqa: E402
    BaseMongoDBService,
    BulkResult,
    registered_services,
)
from domain_services.integrations.mongodb.settings import MongoSettings  # noqa: E402

__all__ = [
    "BaseMongoDBService",
    "BulkResult",
    "MongoSettings",
    "get_client",
    "get_database",
    "mongo_settings",
    "registered_services",
    "reset_client",
]
