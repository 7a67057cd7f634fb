"""Turning pymongo's exceptions into the library's errors at the integration boundary.

Callers handle `Unavailable` (retry later: the server is down, unreachable or too slow),
`Conflict` (a duplicate key) and `ValidationFailed` (a document BSON cannot encode) the same way
whichever database is behind the service; nothing pymongo-specific leaks out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bson.errors import InvalidDocument
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WTimeoutError,
)

from domain_services.errors import Conflict, DomainError, Unavailable, ValidationFailed

DUPLICATE_KEY = 11000

# Server answers that mean "not now" rather than "never": shutting down, stepping down, no
# primary. They arrive as OperationFailure codes, not as ConnectionFailure.
TRANSIENT_CODES = frozenset({6, 7, 89, 91, 189, 10107, 11600, 11602, 13435, 13436})


@contextmanager
def translate_errors(where: str | Callable[[], str] = "MongoDB") -> Iterator[None]:
    """Re-raise pymongo errors inside the block as `domain_services.errors`.

    `where` names the server for the message (hosts only, never credentials); a callable is
    only called when an error happens, which keeps the successful path cheap.
    """
    try:
        yield
    except PyMongoError as exc:
        raise translate(exc, where() if callable(where) else where) from exc
    except InvalidDocument as exc:
        raise ValidationFailed({"document": [str(exc)]}) from exc


def translate(exc: PyMongoError, where: str) -> DomainError:
    """The library error for a pymongo error."""
    if isinstance(exc, DuplicateKeyError):
        return Conflict(
            "A document with this key already exists.", key=_key_value(exc), where=where
        )
    # ConnectionFailure covers AutoReconnect, NetworkTimeout and ServerSelectionTimeoutError.
    if isinstance(exc, ConnectionFailure | ExecutionTimeout | WTimeoutError):
        return unavailable(where, exc)
    if isinstance(exc, OperationFailure):
        if exc.code in TRANSIENT_CODES:
            return unavailable(where, exc)
        return DomainError(f"MongoDB at {where} refused the operation: {_summary(exc)}")
    return DomainError(f"MongoDB at {where} failed: {_summary(exc)}")


def unavailable(where: str, exc: BaseException) -> Unavailable:
    """The `Unavailable` error for a connection or timeout problem with the server at `where`."""
    return Unavailable(
        f"MongoDB at {where} is unavailable ({type(exc).__name__}).",
        where=where,
        reason=type(exc).__name__,
    )


def _summary(exc: PyMongoError) -> str:
    # The first line is enough; server selection errors append a whole topology description.
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def _key_value(exc: DuplicateKeyError) -> object:
    details = exc.details or {}
    return details.get("keyValue")
