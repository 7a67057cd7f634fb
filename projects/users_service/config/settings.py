"""Settings of the users service; everything deployment-specific comes from the environment."""

from pathlib import Path

from domain_services.project_settings import remote_domain, service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        app="users",
        base_dir=BASE_DIR,
        domains={
            "users": {"BACKEND": "local", "SERVICE": "users.services.UsersDomain"},
            # Buildings and devices belong to organizations: asked before one is deleted.
            **{
                domain: remote_domain(
                    domain, default_port=port, refers_to=["users.Organization"], required=False
                )
                for domain, port in (("facilities", 8002), ("devices", 8003))
            },
        },
    )
)
