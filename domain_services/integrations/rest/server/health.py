"""`/health`: is this service and what it depends on working? No authentication.

    {"status": "ok" | "degraded",
     "checks": {"database": {"status": "ok", "latency_ms": 0.4},
                "facilities": {"status": "ok", "url": "http://facilities:8000", ...}}}

200 when every check is ok, 503 otherwise. It checks every `DATABASES` alias with a cheap query
(`database` for the default one, `database.<alias>` for the others), every `rest` domain of
`DOMAIN_SERVICES` with one shallow ping, and whatever other integrations register. A domain
entry with `"REQUIRED": False` (one listed only to be asked about its references) is reported
with `"required": false` and does not make the service degraded.

    register_health_check("mongodb", lambda: {"status": "ok"})

`?shallow=1` skips the remote domains: services ping each other that way, so two services that
call each other do not ping back and forth.

A project that writes events to an outbox (`DOMAIN_SERVICES_EVENTS['OUTBOX']`) reports each
alias's backlog, `"outbox"` (`"outbox.<alias>"` for the others): how many events wait for the
relay and the age of the oldest. Past `OUTBOX_MAX_AGE` its status is `"lagging"`; it never
makes the service degraded (the service works; its events are late), so it is `"required":
false`, for monitoring to alert on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from domain_services.registry import domain_configs, load_backend

logger = logging.getLogger("domain_services.rest.server")

HealthCheck = Callable[[], Mapping[str, Any]]

_checks: dict[str, HealthCheck] = {}
_lock = threading.Lock()


def register_health_check(name: str, check: HealthCheck) -> None:
    """Add a check to `/health`: a callable returning `{"status": "ok"|"error", ...}`.

    A check that raises counts as an error, with the exception's message.
    """
    with _lock:
        _checks[name] = check


def unregister_health_check(name: str) -> None:
    """Remove a check added with `register_health_check`."""
    with _lock:
        _checks.pop(name, None)


def database_checks() -> dict[str, dict[str, Any]]:
    """`SELECT 1` on every configured database alias."""
    results = {}
    for alias in connections:
        name = "database" if alias == "default" else f"database.{alias}"
        results[name] = _timed(lambda alias=alias: _ping_database(alias))  # type: ignore[misc]
    return results


def remote_checks() -> dict[str, dict[str, Any]]:
    """One shallow ping of every domain served by the `rest` backend."""
    from domain_services.integrations.rest.backend import RestBackend

    results: dict[str, dict[str, Any]] = {}
    for domain, config in domain_configs().items():
        try:
            backend = load_backend(domain, config)
            required = not isinstance(backend, RestBackend) or backend.required()
        except Exception as exc:  # a broken entry is reported, not a crash of /health
            results[domain] = {"status": "error", "detail": str(exc)}
            continue
        if isinstance(backend, RestBackend):
            results[domain] = backend.ping()
            if not required:
                results[domain]["required"] = False
    return results


def outbox_checks() -> dict[str, dict[str, Any]]:
    """The outbox backlog of every alias, when this project writes an outbox."""
    from domain_services.events import outbox
    from domain_services.events.settings import events_config

    config = events_config()
    if not config.enabled:
        return {}
    results: dict[str, dict[str, Any]] = {}
    for alias in connections:
        name = "outbox" if alias == "default" else f"outbox.{alias}"

        def check(alias: str = alias) -> dict[str, Any]:
            found = outbox.backlog(alias)
            late = found.oldest_age is not None and found.oldest_age > config.outbox_max_age
            return {"status": "lagging" if late else "ok", **found.as_dict()}

        results[name] = {**_timed(check), "required": False}
    return results


def health(*, shallow: bool = False) -> tuple[bool, dict[str, Any]]:
    """Run every check: (all ok?, the JSON body)."""
    checks: dict[str, Any] = database_checks()
    checks.update(outbox_checks())
    if not shallow:
        checks.update(remote_checks())
    with _lock:
        extra = dict(_checks)
    for name, check in extra.items():
        checks[name] = _timed(check)
    healthy = all(
        result.get("status") == "ok" for result in checks.values() if result.get("required", True)
    )
    return healthy, {"status": "ok" if healthy else "degraded", "checks": checks}


@csrf_exempt
@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    """200 with every check ok, 503 otherwise."""
    healthy, body = health(shallow=request.GET.get("shallow") in ("1", "true"))
    if not healthy:
        logger.warning("health degraded: %s", body["checks"])
    return JsonResponse(body, status=200 if healthy else 503)


def _ping_database(alias: str) -> dict[str, Any]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok"}


def _timed(check: HealthCheck) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        result = dict(check())
    except Exception as exc:  # a failing dependency is what /health reports, not a 500
        result = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
    result.setdefault("latency_ms", round((time.perf_counter() - start) * 1000, 1))
    return result
