"""Settings of the facilities service; everything deployment-specific comes from the environment."""

import os
from pathlib import Path

from domain_services.project_settings import remote_domain, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        app="facilities",
        base_dir=BASE_DIR,
        domains={
            "facilities": {"BACKEND": "local", "SERVICE": "facilities.services.FacilitiesDomain"},
            "users": remote_domain(
                "users", default_port=8001, interface="org_interfaces.users.Users"
            ),
            # Devices stand in rooms: a room is only deleted once devices says none does.
            "devices": remote_domain(
                "devices", default_port=8003, refers_to=["facilities.Room"], required=False
            ),
        },
    )
)

# Rooms, floors and buildings announce their changes: written to the outbox with each change,
# published by `manage.py relay_events` through the broker (MQTT_URL overrides the URL).
DOMAIN_SERVICES_EVENTS = {"OUTBOX": ["facilities"]}
MQTT = {
    "URL": "mqtt://127.0.0.1:1883",
    "CLIENT_ID": "facilities-service",
    "USERNAME": os.environ.get("MQTT_USERNAME") or None,
    "PASSWORD": os.environ.get("MQTT_PASSWORD") or None,
}
