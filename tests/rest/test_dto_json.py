"""DTOs survive the trip through JSON: what the REST client rebuilds equals what was sent."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import uuid
from dataclasses import dataclass

import pytest

from domain_services import ValidationFailed
from domain_services.dto import dto_from_dict, dto_to_dict


class Kind(enum.Enum):
    SENSOR = "sensor"
    GATEWAY = "gateway"


@dataclass(frozen=True, slots=True)
class Part:
    uuid: uuid.UUID
    price: decimal.Decimal


@dataclass(frozen=True, slots=True)
class Everything:
    uuid: uuid.UUID
    when: dt.datetime
    day: dt.date
    at: dt.time
    kind: Kind
    parts: tuple[Part, ...]
    pair: tuple[int, uuid.UUID]
    tags: list[str]
    parent: uuid.UUID | None
    note: str | None = None


def sample() -> Everything:
    return Everything(
        uuid=uuid.uuid4(),
        when=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        day=dt.date(2024, 5, 1),
        at=dt.time(8, 15),
        kind=Kind.GATEWAY,
        parts=(Part(uuid.uuid4(), decimal.Decimal("1.10")),),
        pair=(3, uuid.uuid4()),
        tags=["a", "b"],
        parent=None,
    )


def test_a_dto_round_trips_through_json_text():
    original = sample()
    text = json.dumps(dto_to_dict(original))
    assert dto_from_dict(Everything, json.loads(text)) == original


def test_a_z_suffixed_datetime_from_drf_is_read_as_utc():
    data = {**dto_to_dict(sample()), "when": "2024-05-01T12:30:00Z"}
    assert dto_from_dict(Everything, data).when == dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uuid", "nope"),
        ("uuid", 5),
        ("when", "yesterday"),
        ("kind", "toaster"),
        ("parts", "not a list"),
        ("pair", [1]),
    ],
)
def test_a_bad_value_is_validation_failed_naming_the_field(field, value):
    data = {**dto_to_dict(sample()), field: value}
    with pytest.raises(ValidationFailed) as caught:
        dto_from_dict(Everything, data)
    assert field in caught.value.errors


def test_a_missing_field_is_validation_failed_naming_the_dto():
    data = dto_to_dict(sample())
    del data["when"]
    with pytest.raises(ValidationFailed) as caught:
        dto_from_dict(Everything, data)
    assert "Everything" in caught.value.errors
