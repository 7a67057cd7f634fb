"""The errors every domain service raises, one small hierarchy.

Each error carries the HTTP status the REST layer answers with, so the server maps an error to a
response and the REST client maps the response back to the same error: callers handle one set of
exceptions whichever backend serves the domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError


class DomainError(Exception):
    """Base of every error a domain service raises on purpose."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "error"

    def __init__(self, message: str = "", **context: Any) -> None:
        self.message = message or self.default_message()
        self.context = context
        super().__init__(self.message)

    def default_message(self) -> str:
        return self.__doc__.splitlines()[0] if self.__doc__ else self.code

    def as_dict(self) -> dict[str, Any]:
        """The JSON body the REST layer sends for this error."""
        body: dict[str, Any] = {"code": self.code, "detail": self.message}
        if self.context:
            body["context"] = {k: _jsonable(v) for k, v in self.context.items()}
        return body


class NotFound(DomainError):
    """The object does not exist."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The write conflicts with existing data (a duplicate, or a protected reference)."""

    status_code = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """The input is invalid; `errors` maps each offending field to its messages."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        errors: Mapping[str, Sequence[str] | str] | None = None,
        message: str = "",
        **context: Any,
    ) -> None:
        self.errors: dict[str, list[str]] = {
            field: [msgs] if isinstance(msgs, str) else [str(m) for m in msgs]
            for field, msgs in (errors or {}).items()
        }
        if not message:
            message = "; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items())
        super().__init__(message or "The input is invalid.", **context)

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> ValidationFailed:
        """The same messages as Django's ValidationError, per field (`__all__` for the rest)."""
        return cls(messages_by_field(exc))

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["errors"] = self.errors
        return body


class PermissionDenied(DomainError):
    """The caller may not do this."""

    status_code = 403
    code = "permission_denied"


class Unavailable(DomainError):
    """A backing system (database, remote service, broker) cannot be reached right now."""

    status_code = 503
    code = "unavailable"


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls for cls in (NotFound, Conflict, ValidationFailed, PermissionDenied, Unavailable)
}


def messages_by_field(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Django's ValidationError as field -> messages; errors not tied to a field go to `__all__`."""
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
