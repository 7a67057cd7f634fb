"""Django settings every domain-service project shares, built in one place.

A project's `config/settings.py` stays a page long:

    from domain_services.project_settings import service_settings

    globals().update(service_settings(
        app="facilities", base_dir=BASE_DIR, default_port=8002, domains={...},
    ))

Everything comes from environment variables with development defaults: `DATABASE_URL`
(a SQLite file beside the project otherwise), `SECRET_KEY`, `DEBUG`, `ALLOWED_HOSTS`,
`<DOMAIN>_SERVICE_URL` / `<DOMAIN>_SERVICE_TOKEN` for remote domains, `SERVICE_TOKEN` for the
tokens this service accepts from the others (`"new,old"` while one is rotated), and the HTTPS
settings (`SECURE_SSL_REDIRECT`, `SECURE_HSTS_SECONDS`, secure cookies, ...).

The development defaults hold only while `DEBUG` is on. With `DEBUG` off, a missing or
development `SECRET_KEY`, `SERVICE_TOKEN` or `<DOMAIN>_SERVICE_TOKEN` is an
`ImproperlyConfigured` naming the variable, so the service does not start (under gunicorn too,
which runs no system checks), and HTTPS redirects, HSTS and secure cookies are on unless the
environment turns them off: `manage.py check --deploy` is clean with the environment of
docs/deployment.md.

`database_settings`, `per_domain_databases` and the `env_*` helpers work with the base install
(dj-database-url is one of its dependencies); `service_settings` needs the `rest` and `serve`
extras, `remote_domain` the `rest` extra, and each says so with an ImportError naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from domain_services._optional import require_extra

DEV_SECRET = "dev-only-insecure-secret-key"
GENERATE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
# A year, the value browsers' preload lists ask for.
HSTS_SECONDS = 31_536_000


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """The boolean environment variable `name` (`1/true/yes/on`, `0/false/no/off`)."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a boolean.")


def env_debug(environ: Mapping[str, str] | None = None) -> bool:
    """`DEBUG` from the environment: on unless turned off."""
    return env_bool("DEBUG", True, environ)


def env_int(name: str, default: int) -> int:
    """The non-negative integer environment variable `name`."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a whole number of 0 or more."
        )
    return number


def env_list(name: str, default: str = "") -> list[str]:
    """The comma-separated environment variable `name`, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# SQLite, the embedded default, with concurrent writers: WAL lets readers and a writer work at
# once; `timeout` (seconds, sqlite3's busy timeout) makes a writer wait for the lock instead of
# failing with "database is locked"; IMMEDIATE transactions take the write lock when they
# begin, so a transaction that has read never fails to upgrade its lock halfway (a deadlock the
# busy timeout cannot cure). A lock still held after the timeout is a 503, not a 500.
SQLITE_OPTIONS: dict[str, Any] = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 10,
}
# PostgreSQL: an unreachable server is a 503 after this many seconds, not a hung request.
POSTGRES_CONNECT_TIMEOUT = 5


def database_settings(base_dir: Path, name: str) -> dict[str, Any]:
    """`DATABASES['default']` from `DATABASE_URL`, or a SQLite file beside the project.

    SQLite gets `SQLITE_OPTIONS` and PostgreSQL a connect timeout; options given in the URL's
    query string win. The URL is read by dj-database-url, a dependency of the base install.
    """
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{base_dir / f'{name}.sqlite3'}"
    max_age = int(os.environ.get("CONN_MAX_AGE", "0"))
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=max_age))
    if "sqlite" in config["ENGINE"]:
        defaults: dict[str, Any] = SQLITE_OPTIONS
    elif "postgresql" in config["ENGINE"]:
        defaults = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
    else:
        defaults = {}
    config["OPTIONS"] = {**defaults, **config.get("OPTIONS", {})}
    return config


def per_domain_databases(base_dir: Path, domains: Sequence[str]) -> dict[str, Any]:
    """One database alias per domain for a modular monolith: `default` plus one per domain.

    With `DATABASE_URL` each alias gets its own database on that server, named
    `<name>_<domain>`; otherwise each gets its own SQLite file.
    """
    default = database_settings(base_dir, "monolith")
    databases = {"default": default}
    for domain in domains:
        config = {**default, "OPTIONS": dict(default.get("OPTIONS", {}))}
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
    point at a local MongoDB and Mosquitto. The database is `MONGODB_DATABASE`, else the one in
    `MONGODB_URL`'s path, else `devices`.
    """
    from domain_services.integrations.mongodb.settings import database_from_url

    database = (
        os.environ.get("MONGODB_DATABASE")
        or database_from_url(os.environ.get("MONGODB_URL", ""))
        or "devices"
    )
    return {
        "MONGODB": {"URL": "mongodb://127.0.0.1:27017", "DATABASE": database},
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
    domain: str,
    default_port: int,
    *,
    interface: str | None = None,
    refers_to: Sequence[str] = (),
    required: bool = True,
) -> dict[str, Any]:
    """A `rest` DOMAIN_SERVICES entry for `domain`, its URL and token from the environment.

    `interface`: the dotted path of the domain's `Interface`, from which its client is derived
    (a domain this project only answers reference checks for needs none). `refers_to`: this
    project's models the domain holds references to; it is asked before one is deleted. A
    domain listed only for that is not `required` for this service to be healthy.
    """
    upper = domain.upper()
    entry: dict[str, Any] = {
        "BACKEND": "rest",
        "URL": os.environ.get(f"{upper}_SERVICE_URL", f"http://127.0.0.1:{default_port}"),
        "TOKEN": sent_token(domain),
    }
    if interface:
        entry["INTERFACE"] = interface
    if refers_to:
        entry["REFERS_TO"] = list(refers_to)
    if not required:
        entry["REQUIRED"] = False
    return entry


def sent_token(domain: str) -> str:
    """The token sent to `domain`: `<DOMAIN>_SERVICE_TOKEN`; the development one only in DEBUG."""
    from domain_services.integrations.rest.tokens import DEVELOPMENT_TOKEN, is_development_token

    env = f"{domain.upper()}_SERVICE_TOKEN"
    token = os.environ.get(env, "")
    if env_debug():
        return token or DEVELOPMENT_TOKEN
    if not token or is_development_token(token):
        raise ImproperlyConfigured(
            f"{env} must be set to a token the {domain} service accepts (one of its "
            f"SERVICE_TOKEN) when DEBUG is off; "
            + ("it is the public development token." if token else "it is not set.")
        )
    return token


def accepted_tokens(debug: bool) -> list[str]:
    """The tokens this service accepts: `SERVICE_TOKEN`, comma-separated while rotating."""
    from domain_services.integrations.rest.tokens import (
        DEVELOPMENT_TOKEN,
        is_development_token,
        split_tokens,
    )

    tokens = split_tokens(os.environ.get("SERVICE_TOKEN", ""))
    if debug:
        return tokens or [DEVELOPMENT_TOKEN]
    if not tokens or any(map(is_development_token, tokens)):
        raise ImproperlyConfigured(
            "SERVICE_TOKEN must be set to this service's secret token(s), comma-separated, "
            "when DEBUG is off; "
            + ("it holds the public development token" if tokens else "it is not set")
            + f". Generate one with {GENERATE_TOKEN}."
        )
    return tokens


def https_settings(debug: bool) -> dict[str, Any]:
    """HTTPS redirect, HSTS, secure cookies and the proxy header, from the environment.

    Outside `DEBUG` each is on unless its variable turns it off, so `check --deploy` is clean.
    """
    production = not debug
    hsts = env_int("SECURE_HSTS_SECONDS", HSTS_SECONDS if production else 0)
    return {
        "SECURE_SSL_REDIRECT": env_bool("SECURE_SSL_REDIRECT", production),
        # Load balancers and orchestrators probe /health over plain HTTP.
        "SECURE_REDIRECT_EXEMPT": [r"^health$"],
        "SECURE_HSTS_SECONDS": hsts,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", bool(hsts)),
        "SECURE_HSTS_PRELOAD": env_bool("SECURE_HSTS_PRELOAD", bool(hsts)),
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "CSRF_COOKIE_SECURE": env_bool("CSRF_COOKIE_SECURE", production),
        "SECURE_PROXY_SSL_HEADER": proxy_ssl_header(),
        "CSRF_TRUSTED_ORIGINS": env_list("CSRF_TRUSTED_ORIGINS"),
    }


def proxy_ssl_header() -> tuple[str, str] | None:
    """`SECURE_PROXY_SSL_HEADER` from `SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto[=https]`.

    Set it only behind a proxy that terminates TLS and overwrites that header: otherwise a
    client could claim HTTPS by sending it.
    """
    value = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
    if not value:
        return None
    header, _, expected = value.partition("=")
    name = header.strip().upper().replace("-", "_")
    if not name or not name.replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={value!r} must look like 'X-Forwarded-Proto' or "
            "'X-Forwarded-Proto=https'."
        )
    return (f"HTTP_{name}", expected.strip() or "https")


def static_files_settings(base_dir: Path, debug: bool) -> dict[str, Any]:
    """Static files served by WhiteNoise from `STATIC_ROOT` (filled by `collectstatic`; the
    `STATIC_ROOT` variable, else `staticfiles/` beside the project).

    Outside `DEBUG`, hashed and compressed files served with far-future cache headers; in
    `DEBUG`, found in the apps as they change, `collectstatic` not needed.
    """
    backend = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if debug
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    return {
        "STATIC_URL": "static/",
        "STATIC_ROOT": Path(os.environ.get("STATIC_ROOT") or base_dir / "staticfiles"),
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": backend},
        },
        # Decided by the environment, not by pytest-django turning DEBUG off in tests.
        "WHITENOISE_AUTOREFRESH": debug,
        "WHITENOISE_USE_FINDERS": debug,
    }


def service_settings(
    *,
    app: str,
    base_dir: Path,
    domains: Mapping[str, Mapping[str, Any]],
    extra_apps: Sequence[str] = (),
    service: str | None = None,
) -> dict[str, Any]:
    """The settings of a project that owns the domain `app` and reaches `domains`.

    `service` (default `app`) names this service among those on one host: its session and
    CSRF cookies are `<service>_sessionid` and `<service>_csrftoken`, so signing in to one
    service's admin does not sign you out of another's (browsers share cookies across ports).

    Needs the `rest` extra (the API) and the `serve` extra (WhiteNoise serves the static files).
    """
    from domain_services.integrations.rest.defaults import (
        API_ERROR_MIDDLEWARE,
        REQUEST_ID_MIDDLEWARE,
        REST_APPS,
        rest_framework_settings,
    )

    require_extra("whitenoise", extra="serve")
    debug = env_debug()
    secret = os.environ.get("SECRET_KEY", DEV_SECRET)
    if secret == DEV_SECRET and not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
    name = service or app
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
            API_ERROR_MIDDLEWARE,
            "django.middleware.security.SecurityMiddleware",
            # Right after the security middleware: static files skip everything below.
            "whitenoise.middleware.WhiteNoiseMiddleware",
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
        **static_files_settings(base_dir, debug),
        **https_settings(debug),
        "SESSION_COOKIE_NAME": f"{name}_sessionid",
        "CSRF_COOKIE_NAME": f"{name}_csrftoken",
        "DOMAIN_SERVICES": {domain: dict(config) for domain, config in domains.items()},
        "DOMAIN_SERVICES_API": {"SERVICE_TOKENS": {"services": accepted_tokens(debug)}},
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


def __getattr__(name: str) -> str:
    # The development token belongs to the REST integration, which needs the `rest` extra;
    # looked up only when asked for, so the rest of this module works with the base install.
    if name == "DEV_SERVICE_TOKEN":
        from domain_services.integrations.rest.tokens import DEVELOPMENT_TOKEN

        return DEVELOPMENT_TOKEN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
