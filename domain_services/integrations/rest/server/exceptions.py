"""The one DRF exception handler: every error answers `{"code", "detail", "errors"?, "context"?}`.

Library errors keep their own status (404, 409, 400, 403, 503) and body (`DomainError.as_dict`);
DRF's and Django's own exceptions (bad JSON, serializer validation, authentication, unknown
method, unsupported media type, Http404, PermissionDenied) are answered in the same shape, so the
REST client maps every response back to a library error. Validation errors carry `errors`, one
list of messages per field (nested fields as `field.0.sub`).

A database that cannot be reached or stays locked (`OperationalError`, `InterfaceError`) is a
503 `unavailable` with `Retry-After`, not a 500; a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` is a
413 `too_large`. An error carrying `retry_after` in its context sends it as `Retry-After`, and
every 503 has one. Error bodies are always encodable: a lone surrogate a client sent (in a field
name, say) is echoed escaped (`\\ud800`), never a UnicodeEncodeError.

    REST_FRAMEWORK = {"EXCEPTION_HANDLER":
                      "domain_services.integrations.rest.server.exceptions.exception_handler"}
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from domain_services.errors import DomainError, Unavailable, ValidationFailed

logger = logging.getLogger("domain_services.rest.server")

NON_FIELD = "__all__"
# Errors of a database that is down, unreachable or still locked after its busy timeout: the
# request may well succeed if retried, so they are a 503, not a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# Seconds a client is told to wait before retrying a 503 that does not say otherwise.
RETRY_AFTER = 2


class RequestTooLarge(exceptions.APIException):
    """The body is larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF `EXCEPTION_HANDLER`: the response for any exception a view raises."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        exc = database_unavailable(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(
            encodable(exc.as_dict()), status=exc.status_code, headers=domain_error_headers(exc)
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return Response(
            encodable(api_error_body(exc)), status=exc.status_code, headers=_headers(exc)
        )
    # A bug, not bad input (bad input is always one of the errors above): logged with its
    # traceback, answered in the same shape without internals.
    view = context.get("view")
    logger.error("Unexpected %s in %s", type(exc).__name__, type(view).__name__, exc_info=exc)
    set_rollback()
    return Response(
        {"code": "error", "detail": "Internal server error."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def database_unavailable(exc: Exception) -> Unavailable:
    """The 503 for a database error that a retry may cure; logged without a traceback."""
    logger.warning("Database unavailable: %s: %s", type(exc).__name__, exc)
    return Unavailable(
        "The database is unavailable or busy right now; retry shortly.", retry_after=RETRY_AFTER
    )


def domain_error_headers(exc: DomainError) -> dict[str, str]:
    """`Retry-After` for an error that says when to retry, and for every 503."""
    wait = exc.context.get("retry_after")
    if not isinstance(wait, int | float) or isinstance(wait, bool):
        wait = RETRY_AFTER if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE else None
    return {"Retry-After": str(max(1, math.ceil(wait)))} if wait is not None else {}


def encodable(value: Any) -> Any:
    """`value` with every string UTF-8 encodable: lone surrogates escaped as `\\udXXX`."""
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(item) for item in value]
    return value


def api_error_body(exc: exceptions.APIException) -> dict[str, Any]:
    """The body for one of DRF's exceptions, in the library's error shape."""
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return ValidationFailed(errors).as_dict()
    if isinstance(exc, exceptions.ParseError):
        # The body itself is the problem: named as such, like a field.
        return ValidationFailed({"body": [str(exc.detail)]}).as_dict()
    if isinstance(exc, exceptions.NotFound):
        code = "not_found"
    elif isinstance(exc, exceptions.PermissionDenied):
        code = "permission_denied"
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail
    if isinstance(detail, list | dict):
        return {"code": code, "detail": "; ".join(_messages(detail)) or str(exc.default_detail)}
    return {"code": code, "detail": str(detail)}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `field.sub.0` -> messages; top-level lists go to `__all__`."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = NON_FIELD if key in ("non_field_errors", NON_FIELD) and not prefix else key
            errors.update(flatten_errors(value, f"{prefix}.{name}" if prefix else str(name)))
        return errors
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        errors = {}
        for index, item in enumerate(detail):
            if item:
                errors.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return errors
    messages = [str(m) for m in detail] if isinstance(detail, list) else [str(detail)]
    return {prefix or NON_FIELD: messages}


def _messages(detail: Any) -> list[str]:
    return [f"{f}: {' '.join(m)}" for f, m in flatten_errors(detail).items()]


def _headers(exc: exceptions.APIException) -> dict[str, str]:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))
    return headers
