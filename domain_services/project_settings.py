"""Django settings every domain-service project shares, built in one place.

A project's `config/settings.py` stays a page long:

    from domain_services.project_settings import service_settings

    globals().update(service_settings(
        app="facilities", base_dir=BASE_DIR, default_port=8002, domains={...},
    ))

Everything comes from environment variables with development defaults: `DATABASE_URL`
(a SQLite file beside the project otherwise), `SECRET_KEY`, `DEBUG`, `ALLOWED_HOSTS`,
`<DOMAIN>_SERVICE_URL` / `<DOMAIN>_SERVICE_TOKEN` for remote domains, `SERVICE_TOKEN` for the
token this service accepts from the others.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from domain_services.integrations.rest.defaults import (
    REQUEST_ID_MIDDLEWARE,
    REST_APPS,
    rest_framework_settings,
)

DEV_SECRET = "dev-only-insecure-secret-key"
DEV_SERVICE_TOKEN = "dev-service-token"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a boolean.")


def database_settings(base_dir: Path, name: str) -> dict[str, Any]:
    """`DATABASES['default']` from `DATABASE_URL`, or a SQLite file beside the project."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{base_dir / f'{name}.sqlite3'}"
    return dict(dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))))


def per_domain_databases(base_dir: Path, domains: Sequence[str]) -> dict[str, Any]:
    """One database alias per domain for a modular monolith: `default` plus one per domain.

    With `DATABASE_URL` each alias gets its own database on that server, named
    `<name>_<domain>`; otherwise each gets its own SQLite file.
    """
    default = database_settings(base_dir, "monolith")
    databases = {"default": default}
    for domain in domains:
        config = dict(default)
        if "sqlite" in config["ENGINE"]:
            config["NAME"] = str(base_dir / f"monolith_{domain}.sqlite3")
        else:
            config["NAME"] = f"{default['NAME']}_{domain}"
        databases[domain] = config
    return databases


def device_integration_settings(
    *, consumer_client_id: str = "devices-status-consumer"
) -> dict[str, Any]:
    """`MONGODB` and `MQTT` for a project that stores device status and talks to devices.

    `MONGODB_URL` and `MQTT_URL` override the URLs (the library reads them); the defaults
    point at a local MongoDB and Mosquitto.
    """
    return {
        "MONGODB": {
            "URL": "mongodb://127.0.0.1:27017",
            "DATABASE": os.environ.get("MONGODB_DATABASE", "devices"),
        },
        "MQTT": {
            "URL": "mqtt://127.0.0.1:1883",
            "CLIENT_ID": os.environ.get("MQTT_CLIENT_ID", "devices-service"),
            "USERNAME": os.environ.get("MQTT_USERNAME") or None,
            "PASSWORD": os.environ.get("MQTT_PASSWORD") or None,
            "CONSUMER": {"CLIENT_ID": os.environ.get("MQTT_CONSUMER_ID", consumer_client_id)},
        },
    }


DEVICE_APPS = ["domain_services.integrations.mongodb", "domain_services.devices"]


def remote_domain(
    domain: str, default_port: int, *, refers_to: Sequence[str] = (), required: bool = True
) -> dict[str, Any]:
    """A `rest` DOMAIN_SERVICES entry for `domain`, its URL and token from the environment.

    `refers_to`: this project's models the domain holds references to; it is asked before one
    is deleted. A domain listed only for that is not `required` for this service to be healthy.
    """
    upper = domain.upper()
    entry: dict[str, Any] = {
        "BACKEND": "rest",
        "URL": os.environ.get(f"{upper}_SERVICE_URL", f"http://127.0.0.1:{default_port}"),
        "TOKEN": os.environ.get(f"{upper}_SERVICE_TOKEN", DEV_SERVICE_TOKEN),
    }
    if refers_to:
        entry["REFERS_TO"] = list(refers_to)
    if not required:
        entry["REQUIRED"] = False
    return entry


def service_settings(
    *,
    app: str,
    base_dir: Path,
    domains: Mapping[str, Mapping[str, Any]],
    extra_apps: Sequence[str] = (),
) -> dict[str, Any]:
    """The settings of a project that owns the domain `app` and reaches `domains`."""
    debug = env_bool("DEBUG", True)
    secret = os.environ.get("SECRET_KEY", DEV_SECRET)
    if secret == DEV_SECRET and not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
    return {
        "BASE_DIR": base_dir,
        "SECRET_KEY": secret,
        "DEBUG": debug,
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
            ","
        ),
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            *REST_APPS,
            "domain_services",
            app,
            *extra_apps,
        ],
        "MIDDLEWARE": [
            REQUEST_ID_MIDDLEWARE,
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "DATABASES": {"default": database_settings(base_dir, app)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "TIME_ZONE": "UTC",
        "LANGUAGE_CODE": "en-us",
        "STATIC_URL": "static/",
        "STATIC_ROOT": base_dir / "staticfiles",
        "DOMAIN_SERVICES": {name: dict(config) for name, config in domains.items()},
        "DOMAIN_SERVICES_API": {
            "SERVICE_TOKENS": {
                "services": os.environ.get("SERVICE_TOKEN", DEV_SERVICE_TOKEN),
            }
        },
        **rest_framework_settings(title=f"{app} service API"),
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {
                "request_id": {"()": "domain_services.integrations.rest.request_id.RequestIDFilter"}
            },
            "formatters": {
                "plain": {
                    "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"
                }
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "filters": ["request_id"],
                }
            },
            "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        },
    }
