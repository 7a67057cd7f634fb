"""Request ids: one id follows a user's request through every service it touches.

`RequestIDMiddleware` takes the caller's `X-Request-ID` (when it is well-formed) or makes one,
keeps it in a context variable for the duration of the request, and echoes it on the response.
`RestClient` sends `current_request_id()` on every outgoing call, and `RequestIDFilter` adds it
to log records as `%(request_id)s`, so the logs of all services can be joined on it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"

# Anything else (too long, spaces, control characters) could forge or break log lines: replaced.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")

_current: ContextVar[str | None] = ContextVar("domain_services_request_id", default=None)

logger = logging.getLogger("domain_services.rest.server")


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _current.get()


def new_request_id() -> str:
    """A fresh request id (a random UUID, hex)."""
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str | None:
    """`value` when it is a well-formed request id (at most 128 safe characters), else None."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return None


@contextlib.contextmanager
def request_id_context(request_id: str | None = None) -> Iterator[str]:
    """Run a block (a management command, a consumer's message) under a request id."""
    value = clean_request_id(request_id) or new_request_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class RequestIDMiddleware:
    """Adopt or create the request id, expose it as `request.request_id`, echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = clean_request_id(request.META.get(META_KEY)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        start = time.perf_counter()
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
            logger.info(
                "%s %s -> %s in %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - start) * 1000,
                extra={"request_id": request_id},
            )
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIDFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request), for `%(request_id)s`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True
