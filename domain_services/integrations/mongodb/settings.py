"""The `MONGODB` setting, parsed and checked once into a frozen `MongoSettings`.

```python
MONGODB = {
    "URL": "mongodb://user:secret@db1,db2/?replicaSet=rs0",  # MONGODB_URL overrides it
    "DATABASE": "devices",  # or the database in the URL's path
    "OPTIONS": {
        "serverSelectionTimeoutMS": 2000,  # any other key goes to pymongo.MongoClient
        "STATUS_ONLINE_WINDOW": 300,  # UPPER-CASE keys are this library's own options
    },
}
```

Upper-case `OPTIONS` keys belong to the library (pymongo's options are camelCase or lower
case, never all upper case), so one dictionary configures both without a clash, and a typo in an
upper-case key is an error instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from domain_services import conf

SETTING = "MONGODB"
ENV_URL = "MONGODB_URL"

# pymongo defaults to 30 s of server selection: a web request or a consumer would hang that long
# before reporting MongoDB as unavailable. tz_aware makes datetimes come back comparable with the
# aware datetimes the library writes.
DEFAULT_CLIENT_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000, "tz_aware": True}
)

# The library's own options: name -> (default, expected type, minimum).
LIBRARY_OPTIONS: Mapping[str, tuple[Any, type | tuple[type, ...], float]] = MappingProxyType(
    {
        "STATUS_ONLINE_WINDOW": (300, (int, float), 1),
        "MAX_DOCUMENT_DEPTH": (8, int, 1),
        "MAX_DOCUMENT_KEYS": (200, int, 1),
        "MAX_DOCUMENT_BYTES": (16 * 1024, int, 64),
    }
)


@dataclass(frozen=True, slots=True)
class MongoSettings:
    """The checked `MONGODB` setting; `url` is kept out of `repr` since it may hold a password."""

    url: str = field(repr=False)
    database: str
    client_options: Mapping[str, Any]
    status_online_window: float = 300
    max_document_depth: int = 8
    max_document_keys: int = 200
    max_document_bytes: int = 16 * 1024

    @property
    def redacted_url(self) -> str:
        """The URL with any password replaced by `***`, safe for logs and error messages."""
        return redact_url(self.url)

    @property
    def hosts(self) -> str:
        """The `host:port` list of the URL, the part that tells an operator which server failed."""
        return url_hosts(self.url)


def parse_settings(raw: Mapping[str, Any] | None = None) -> MongoSettings:
    """Check a `MONGODB` dictionary (default: Django's setting with `MONGODB_URL` applied)."""
    config = conf.settings_dict(SETTING, env_url=ENV_URL) if raw is None else dict(raw)
    url = conf.require(
        config,
        "URL",
        setting=SETTING,
        hint=f"set it to a mongodb:// URL, or set the {ENV_URL} environment variable",
    )
    conf.reject_unknown_keys(config, ("URL", "DATABASE", "OPTIONS"), setting=SETTING)
    if not isinstance(url, str) or not url.startswith(("mongodb://", "mongodb+srv://")):
        raise ImproperlyConfigured(
            f"{SETTING}['URL'] must be a URL starting with mongodb:// or mongodb+srv://, "
            f"not {redact_url(str(url))!r}"
        )
    database = config.get("DATABASE") or database_from_url(url)
    if not database:
        raise ImproperlyConfigured(
            f"{SETTING} has no 'DATABASE'; set it to the database name (or put it in the URL path)"
        )
    if not isinstance(database, str) or any(c in database for c in '/\\. "$\x00'):
        raise ImproperlyConfigured(
            f"{SETTING}['DATABASE'] must be a database name without /\\. \"$ or spaces, "
            f"not {database!r}"
        )
    library = library_options(config)
    options = config.get("OPTIONS") or {}
    client_options = dict(DEFAULT_CLIENT_OPTIONS)
    client_options.update({k: v for k, v in options.items() if k not in LIBRARY_OPTIONS})
    return MongoSettings(
        url=url,
        database=database,
        client_options=MappingProxyType(client_options),
        **library,
    )


def library_options(raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The library's own `OPTIONS` (lower-case names, defaults applied), checked.

    Readable without a `URL`, so validation rules work where no server is configured.
    """
    config = conf.settings_dict(SETTING) if raw is None else raw
    options = config.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(
            f"{SETTING}['OPTIONS'] must be a dictionary, not {type(options).__name__}"
        )
    unknown = sorted(k for k in options if isinstance(k, str) and k.isupper())
    unknown = [k for k in unknown if k not in LIBRARY_OPTIONS]
    if unknown:
        raise ImproperlyConfigured(
            f"{SETTING}['OPTIONS'] has unknown option {unknown[0]!r}; "
            f"the library's options are {', '.join(LIBRARY_OPTIONS)}"
        )
    return {
        key.lower(): conf.option(config, key, default, setting=SETTING, kind=kind, minimum=minimum)
        for key, (default, kind, minimum) in LIBRARY_OPTIONS.items()
    }


def redact_url(url: str) -> str:
    """`url` with the password (if any) replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hosts}{slash}{tail}"


def url_hosts(url: str) -> str:
    """The comma-separated `host[:port]` list of a MongoDB URL, without credentials."""
    rest = url.partition("://")[2]
    netloc = rest.partition("/")[0].partition("?")[0]
    return netloc.rpartition("@")[2] or "localhost"


def database_from_url(url: str) -> str:
    """The database named in a MongoDB URL's path (`devices` in `mongodb://h/devices?x=1`), or
    an empty string."""
    # urlsplit refuses multi-host netlocs with ports on some versions, so only read the path.
    rest = url.partition("://")[2]
    path = rest.partition("/")[2]
    return urlsplit("//x/" + path).path.lstrip("/")
