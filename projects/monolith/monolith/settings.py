"""Users, facilities and devices in one process, each on its own database alias.

The same apps the standalone projects run, with every domain `local`. Moving one out is a
settings change: point its DOMAIN_SERVICES entry at the service that now owns it
(`remote_domain("facilities", ...)`) and drop its app here.
"""

import sys
from pathlib import Path

from domain_services.project_settings import (
    DEVICE_APPS,
    device_integration_settings,
    per_domain_databases,
    service_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECTS = BASE_DIR.parent
for project in ("users_service", "facilities_service", "devices_service"):
    if str(PROJECTS / project) not in sys.path:
        sys.path.insert(0, str(PROJECTS / project))

globals().update(
    service_settings(
        app="users",
        # Its own cookie names: it may run on the same host as the users service.
        service="monolith",
        extra_apps=["facilities", "devices", *DEVICE_APPS],
        base_dir=BASE_DIR,
        domains={
            "users": {"BACKEND": "local", "SERVICE": "users.services.UsersDomain"},
            "facilities": {"BACKEND": "local", "SERVICE": "facilities.services.FacilitiesDomain"},
            "devices": {"BACKEND": "local", "SERVICE": "devices.services.DevicesDomain"},
        },
    )
)

globals().update(device_integration_settings(consumer_client_id="monolith-status-consumer"))

ROOT_URLCONF = "monolith.urls"
WSGI_APPLICATION = "monolith.wsgi.application"
# users shares `default` with auth, sessions and the admin log (a person is tied to a login).
DATABASES = per_domain_databases(BASE_DIR, ["facilities", "devices"])
DATABASE_ROUTERS = ["domain_services.routers.DomainRouter"]
DOMAIN_SERVICES_DATABASES = {"facilities": "facilities", "devices": "devices"}
