"""Plain Django views (not DRF) for the error-format tests: what fails outside DRF's handler."""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse


def broken(request: HttpRequest) -> HttpResponse:
    """A bug: an exception nothing handles."""
    raise RuntimeError("a bug in a plain view")


def database_down(request: HttpRequest) -> HttpResponse:
    """What a view meets when its database is down or stays locked."""
    raise OperationalError("database is locked")


def reads_the_body(request: HttpRequest) -> HttpResponse:
    """Reads `request.body`, which Django limits to DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return HttpResponse(str(len(request.body)))
