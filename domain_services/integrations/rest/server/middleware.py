"""`APIErrorMiddleware`: errors outside DRF's views answered like the API's own.

DRF's exception handler shapes the errors its views raise. Everything else under the API's
paths (`/api/`, `/health`) used to answer with Django's pages: the HTML 404 that lists every URL
pattern under `DEBUG`, the plain-text 500 of the WSGI server, an HTML 400 for a body over
`DATA_UPLOAD_MAX_MEMORY_SIZE`. This middleware makes every error response there JSON in the one
error format, `{"code", "detail", "errors"?}`, and answers a database outage with a 503 and
`Retry-After` on every path (the admin's included), never a 500:

- a body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (by its `Content-Length`) is a 413 before
  anything reads it;
- a view raising a database error (`OperationalError`, `InterfaceError`) or `RequestDataTooBig`
  answers 503 or 413; so does one raised by another middleware (seen through Django's
  `got_request_exception` signal, since Django turns it into a 500 before this middleware sees
  the response);
- any other error response under the API paths that is not JSON is replaced by its JSON
  equivalent with the same status (and its `Allow`, `WWW-Authenticate`, `Retry-After`).

    MIDDLEWARE = [REQUEST_ID_MIDDLEWARE, API_ERROR_MIDDLEWARE, ...]   # near the top
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import NoReverseMatch, reverse

from domain_services.errors import ValidationFailed
from domain_services.integrations.rest.server.exceptions import (
    DATABASE_UNAVAILABLE,
    database_unavailable,
    domain_error_headers,
    encodable,
)

# The error code of each status, as DRF's own exceptions name them.
CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    503: "unavailable",
}
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")
_EXCEPTION = "_domain_services_exception"


class APIErrorMiddleware:
    """JSON errors under `json_prefixes`; 503 for database outages and 413 for large bodies."""

    json_prefixes: ClassVar[tuple[str, ...]] = ("/api/", "/health")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_remember_exception, dispatch_uid=__name__)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        is_api = request.path_info.startswith(self.json_prefixes)
        if is_api and _declared_length(request) > _max_body():
            return self.error_response(request, 413, "The request body is too large.")
        response = self.get_response(request)
        raised = getattr(request, _EXCEPTION, None)
        if raised is not None and response.status_code == 500:
            answered = self.process_exception(request, raised)
            if answered is not None:
                return answered
        if is_api and response.status_code >= 400 and not _is_json(response):
            return self.error_response(
                request, response.status_code, _detail(request, response), response
            )
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponseBase | None:
        """503 for a database outage, 413 for a body too large; None: Django's handling."""
        if isinstance(exc, DATABASE_UNAVAILABLE):
            error = database_unavailable(exc)
            return self.error_response(
                request, 503, error.message, headers=domain_error_headers(error)
            )
        if isinstance(exc, RequestDataTooBig):
            return self.error_response(request, 413, "The request body is too large.")
        return None

    def error_response(
        self,
        request: HttpRequest,
        status: int,
        detail: str,
        original: HttpResponseBase | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        """The error as JSON under the API paths, as plain text elsewhere (the admin)."""
        kept = {
            name: original[name] for name in KEPT_HEADERS if original and original.has_header(name)
        }
        kept.update(headers or {})
        if not request.path_info.startswith(self.json_prefixes):
            return HttpResponse(
                f"{status} {_phrase(status)}: {detail}\n",
                status=status,
                content_type="text/plain; charset=utf-8",
                headers=kept,
            )
        body = error_body(status, detail)
        return HttpResponse(
            json.dumps(encodable(body), separators=(",", ":")),  # as DRF renders
            status=status,
            content_type="application/json",
            headers=kept,
        )


def error_body(status: int, detail: str) -> dict[str, Any]:
    """`{"code", "detail"}` for `status`; a 400 also names what was wrong (`__all__`)."""
    if status == 400:
        return ValidationFailed({"__all__": [detail]}).as_dict()
    return {"code": CODES.get(status, "error"), "detail": detail}


def _remember_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent inside Django's `except` block for an exception nothing handled, before it becomes
    # a 500: keep it on the request so the middleware can tell a database outage from a bug.
    if request is not None:
        setattr(request, _EXCEPTION, sys.exc_info()[1])


def _detail(request: HttpRequest, response: HttpResponseBase) -> str:
    status = response.status_code
    if status == 404:
        try:
            root = reverse("api-root")
        except NoReverseMatch:
            return f"Nothing at {request.path}."
        return f"Nothing at {request.path}; the API's resources are listed at {root}."
    if status == 405:
        return f"Method {request.method} not allowed."
    if status == 500:
        return "Internal server error."
    return f"{_phrase(status)}."


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_json(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith("application/") and "json" in content_type.split(";")[0]


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty


def _max_body() -> float:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return float("inf") if limit is None else limit
