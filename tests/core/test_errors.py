"""The error hierarchy maps to HTTP statuses and serialises for the REST layer."""

from __future__ import annotations

import uuid

import pytest

from domain_services import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    Unavailable,
    ValidationFailed,
)
from domain_services.errors import ERRORS_BY_CODE


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound, 404),
        (Conflict, 409),
        (ValidationFailed, 400),
        (PermissionDenied, 403),
        (Unavailable, 503),
    ],
)
def test_each_error_is_a_domain_error_with_its_status(error, status):
    assert issubclass(error, DomainError)
    assert error.status_code == status
    assert ERRORS_BY_CODE[error.code] is error


def test_validation_errors_carry_messages_per_field():
    error = ValidationFailed({"name": "Required.", "price": ["Too low.", "Not a number."]})
    assert error.errors == {"name": ["Required."], "price": ["Too low.", "Not a number."]}
    assert "name: Required." in str(error)
    body = error.as_dict()
    assert body["code"] == "invalid" and body["errors"]["price"] == ["Too low.", "Not a number."]


def test_context_is_serialised_as_json_friendly_values():
    key = uuid.uuid4()
    body = NotFound("missing", uuid=key, tried=(1, 2)).as_dict()
    assert body == {
        "code": "not_found",
        "detail": "missing",
        "context": {"uuid": str(key), "tried": [1, 2]},
    }


def test_an_error_without_a_message_uses_its_description():
    assert (
        str(Unavailable())
        == "A backing system (database, remote service, broker) cannot be reached right now."
    )
