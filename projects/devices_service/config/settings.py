"""Settings of the devices service; everything deployment-specific comes from the environment."""

import os
from pathlib import Path

from domain_services.project_settings import (
    DEVICE_APPS,
    device_integration_settings,
    remote_domain,
    service_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        app="devices",
        base_dir=BASE_DIR,
        domains={
            "devices": {"BACKEND": "local", "SERVICE": "devices.services.DevicesDomain"},
            "facilities": remote_domain(
                "facilities", default_port=8002, interface="org_interfaces.facilities.Facilities"
            ),
            "users": remote_domain(
                "users", default_port=8001, interface="org_interfaces.users.Users"
            ),
        },
        extra_apps=DEVICE_APPS,
    )
)
globals().update(device_integration_settings())

# `manage.py consume_events` applies facilities' events here: SET_NULL and CASCADE references
# to deleted rooms, and the read model of rooms. Its client id is stable: the broker keeps the
# events that arrive while it is down in that session.
DOMAIN_SERVICES_EVENTS = {
    "CONSUMER": {"CLIENT_ID": os.environ.get("EVENTS_CONSUMER_ID", "devices-events")}
}
