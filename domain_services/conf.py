"""Reading the library's settings dictionaries (`DOMAIN_SERVICES`, `MONGODB`, `MQTT`).

They follow Django's `DATABASES`/`CACHES` shape. A `<NAME>_URL` environment variable overrides
the dictionary's `URL`, so one image runs anywhere by changing its environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def settings_dict(name: str, *, env_url: str | None = None) -> dict[str, Any]:
    """A copy of the settings dictionary `name`, with `URL` taken from `env_url` when set."""
    raw = getattr(settings, name, None)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{name} must be a dictionary, not {type(raw).__name__}.")
    config = dict(raw)
    if env_url and os.environ.get(env_url):
        config["URL"] = os.environ[env_url]
    return config


def reject_unknown_keys(value: Mapping[str, Any], known: Iterable[str], *, setting: str) -> None:
    """Raise ImproperlyConfigured naming the keys of `value` that `setting` does not know: a
    typo, or a lower-case key, would otherwise be silently ignored."""
    known = set(known)
    unknown = set(value) - known
    if unknown:
        raise ImproperlyConfigured(
            f"{setting} has unknown keys {sorted(map(str, unknown))}; known: {sorted(known)}."
        )


def require(config: Mapping[str, Any], key: str, *, setting: str, hint: str) -> Any:
    """`config[key]`, or an ImproperlyConfigured that names the setting and the fix."""
    value = config.get(key)
    if value in (None, ""):
        raise ImproperlyConfigured(f"{setting} has no {key!r}; {hint}")
    return value


def option(
    config: Mapping[str, Any],
    key: str,
    default: Any,
    *,
    setting: str,
    kind: type | tuple[type, ...] | None = None,
    minimum: int | float | None = None,
) -> Any:
    """`config['OPTIONS'][key]` (or `default`), checked for type and lower bound."""
    options = config.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise ImproperlyConfigured(f"{setting}['OPTIONS'] must be a dictionary.")
    value: Any = options.get(key, default)
    expected = kind or type(default)
    if isinstance(value, bool) and expected in (int, float, (int, float)):
        raise ImproperlyConfigured(f"{setting}['OPTIONS'][{key!r}] must be a number, not a bool.")
    if not isinstance(value, expected):
        names = (
            expected.__name__
            if isinstance(expected, type)
            else "/".join(t.__name__ for t in expected)
        )
        raise ImproperlyConfigured(
            f"{setting}['OPTIONS'][{key!r}] must be {names}, not {type(value).__name__}."
        )
    if minimum is not None and cast(float, value) < minimum:
        raise ImproperlyConfigured(f"{setting}['OPTIONS'][{key!r}] must be >= {minimum}.")
    return value
