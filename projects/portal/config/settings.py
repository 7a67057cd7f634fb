"""Settings of the portal, a server-rendered webapp for organizations, buildings and devices.

`PORTAL_MODELS` says where its data lives; the views, forms and templates are the same:

- `legacy` (the default): the portal's own models (`portal_legacy`) on its own database
  (`DATABASE_URL`, else `portal.sqlite3` beside this project), ForeignKeys between them;
- `services`: service-backed models (`portal_services`), the data in the users, facilities and
  devices domains, reached over REST at `USERS_SERVICE_URL`, `FACILITIES_SERVICE_URL` and
  `DEVICES_SERVICE_URL` (ports 8001-8003 on 127.0.0.1 by default) with their
  `<DOMAIN>_SERVICE_TOKEN`. The database then holds nothing the pages read: it is the legacy
  database `manage.py copy_legacy_data` copies from.

Everything deployment-specific comes from the environment, as in the services' settings.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from domain_services.project_settings import (
    DEV_SECRET,
    database_settings,
    env_debug,
    env_list,
    https_settings,
    remote_domain,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_debug()
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
if SECRET_KEY == DEV_SECRET and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

PORTAL_MODELS = os.environ.get("PORTAL_MODELS", "legacy")
if PORTAL_MODELS not in ("legacy", "services"):
    raise ImproperlyConfigured(
        f"PORTAL_MODELS={PORTAL_MODELS!r}: set it to 'legacy' (the portal's own database) or "
        "'services' (the users, facilities and devices services)."
    )

INSTALLED_APPS = [
    "domain_services",
    "portal",
    # Both model modules are installed: the legacy one for its database (and for
    # copy_legacy_data in services mode), the service-backed one has no table.
    "portal_legacy",
    "portal_services",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {"default": database_settings(BASE_DIR, "portal")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

# The portal may share a host with the services: its own CSRF cookie (it keeps no session).
CSRF_COOKIE_NAME = "portal_csrftoken"

# HTTPS redirect, HSTS and secure cookies: on outside DEBUG unless the environment says not.
_https = https_settings(DEBUG)
SECURE_SSL_REDIRECT = _https["SECURE_SSL_REDIRECT"]
SECURE_REDIRECT_EXEMPT = _https["SECURE_REDIRECT_EXEMPT"]
SECURE_HSTS_SECONDS = _https["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
SECURE_HSTS_PRELOAD = _https["SECURE_HSTS_PRELOAD"]
SESSION_COOKIE_SECURE = _https["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE = _https["CSRF_COOKIE_SECURE"]
SECURE_PROXY_SSL_HEADER = _https["SECURE_PROXY_SSL_HEADER"]
CSRF_TRUSTED_ORIGINS = _https["CSRF_TRUSTED_ORIGINS"]

if PORTAL_MODELS == "services":
    DOMAIN_SERVICES = {
        "users": remote_domain("users", 8001, interface="org_interfaces.users.Users"),
        "facilities": remote_domain(
            "facilities", 8002, interface="org_interfaces.facilities.Facilities"
        ),
        "devices": remote_domain("devices", 8003, interface="org_interfaces.devices.Devices"),
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
