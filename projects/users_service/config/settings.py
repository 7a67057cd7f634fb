"""Settings of the users service; everything deployment-specific comes from the environment."""

from pathlib import Path

from domain_services.project_settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        app="users",
        base_dir=BASE_DIR,
        domains={"users": {"BACKEND": "local", "SERVICE": "users.services.UsersDomain"}},
    )
)
