"""The portal's test settings: services mode, the three domains in this process.

The users, facilities and devices apps (from their projects) run here on the test database, so
a test can seed their tables, and the live server serves their APIs: `serve_over_rest` points
the registry at those APIs for the tests that go over REST. Legacy mode is rendered in a
process of its own, on `config.settings` (see tests/pages.py).
"""

import sys

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, INSTALLED_APPS, MIDDLEWARE
from domain_services.integrations.rest.defaults import (
    API_ERROR_MIDDLEWARE,
    REQUEST_ID_MIDDLEWARE,
    REST_APPS,
    rest_framework_settings,
)
from domain_services.project_settings import DEVICE_APPS, device_integration_settings

for project in ("users_service", "facilities_service", "devices_service"):
    if str(BASE_DIR.parent / project) not in sys.path:
        sys.path.insert(0, str(BASE_DIR.parent / project))

PORTAL_MODELS = "services"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    *INSTALLED_APPS,
    "users",
    "facilities",
    "devices",
    *DEVICE_APPS,
    *REST_APPS,
]
MIDDLEWARE = [REQUEST_ID_MIDDLEWARE, API_ERROR_MIDDLEWARE, *MIDDLEWARE]
ROOT_URLCONF = "tests.urls"
STATIC_URL = "static/"  # Django's live server serves static files

DOMAIN_SERVICES = {
    "users": {"BACKEND": "local", "SERVICE": "users.services.UsersDomain"},
    "facilities": {"BACKEND": "local", "SERVICE": "facilities.services.FacilitiesDomain"},
    "devices": {"BACKEND": "local", "SERVICE": "devices.services.DevicesDomain"},
}
DOMAIN_SERVICES_API = {"SERVICE_TOKENS": {}}
_rest = rest_framework_settings(title="portal tests")
REST_FRAMEWORK = _rest["REST_FRAMEWORK"]
SPECTACULAR_SETTINGS = _rest["SPECTACULAR_SETTINGS"]
_devices = device_integration_settings(consumer_client_id="portal-tests")
MONGODB = _devices["MONGODB"]
MQTT = _devices["MQTT"]
