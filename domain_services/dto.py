"""DTOs to and from JSON-friendly dictionaries, driven by the dataclass's type hints.

The REST layer sends DTOs as JSON and the client rebuilds the same frozen dataclasses, so a
caller cannot tell a local DTO from a remote one. A decoder is built once per DTO class from its
type hints, so rebuilding a page of DTOs costs one dictionary lookup per field and a conversion
only for the fields that need one (UUIDs, dates, decimals, nested DTOs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from domain_services.errors import ValidationFailed

T = TypeVar("T")

Decoder = Callable[[Any, str], Any]


def dto_to_dict(dto: Any) -> dict[str, Any]:
    """A DTO as a dictionary of JSON types (UUIDs, decimals and datetimes as strings)."""
    cls: type = type(dto)
    return {name: encode(getattr(dto, name)) for name, encode in _encoders(cls)}


def dto_from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a DTO of type `cls` from `dto_to_dict`'s output; unknown keys are ignored."""
    if not isinstance(data, Mapping):
        raise ValidationFailed.for_field(cls.__name__, "Expected an object.")
    values = {}
    for name, decode in _decoders(typing.cast(type, cls)):
        if name in data:
            value = data[name]
            values[name] = value if decode is None or value is None else decode(value, name)
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValidationFailed.for_field(cls.__name__, str(exc)) from exc


def to_json(value: Any) -> Any:
    """`value` as JSON types: what `dto_to_dict` does to each field (also for request bodies)."""
    if value is None or isinstance(value, str | int | float):
        return value  # bool is an int
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dto_to_dict(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


@functools.cache
def _encoders(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Per field of `cls`, the cheapest function that gives its JSON value (built once)."""
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):
        hints = {}
    return tuple((f.name, _encoder(hints.get(f.name))) for f in dataclasses.fields(cls))


def _encoder(hint: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _encoder(options[0]) if len(options) == 1 else to_json
        return lambda value: None if value is None else inner(value)
    if hint in (str, int, bool) or origin is typing.Literal:
        return _same_if_json  # already JSON; checked, since a DTO's hints are not enforced
    if hint is uuid.UUID:
        return lambda value: str(value) if isinstance(value, uuid.UUID) else to_json(value)
    if hint is dt.datetime:
        return lambda value: value.isoformat() if isinstance(value, dt.datetime) else to_json(value)
    return to_json


def _same_if_json(value: Any) -> Any:
    return value if type(value) in (str, int, bool) else to_json(value)


@functools.cache
def _decoders(cls: type) -> tuple[tuple[str, Decoder | None], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))


def _decoder(hint: Any) -> Decoder | None:
    """How to turn the JSON value of a field typed `hint` back into Python; None: as it is."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        # A union of several types cannot be told apart from JSON alone: left as sent.
        return _decoder(options[0]) if len(options) == 1 else None
    if origin is typing.Annotated:
        return _decoder(typing.get_args(hint)[0])
    if hint in _SCALARS:
        return _scalar(hint, _SCALARS[hint])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _scalar(hint, hint)
    if origin in (tuple, list, set, frozenset):
        return _sequence(origin, typing.get_args(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value, name: dto_from_dict(typing.cast(type, hint), value)
    return None


def _parse_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _parse_datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _parse_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _parse_time(value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def _parse_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, float | bool):
        raise TypeError("a decimal travels as a string")
    return decimal.Decimal(str(value))


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    uuid.UUID: _parse_uuid,
    dt.datetime: _parse_datetime,
    dt.date: _parse_date,
    dt.time: _parse_time,
    decimal.Decimal: _parse_decimal,
}


def _scalar(hint: Any, parse: Callable[[Any], Any]) -> Decoder:
    def decode(value: Any, name: str) -> Any:
        try:
            return parse(value)
        except (ValueError, TypeError, AttributeError, decimal.InvalidOperation) as exc:
            raise ValidationFailed.for_field(
                name, f"{value!r} is not a valid {hint.__name__}."
            ) from exc

    return decode


def _sequence(origin: type, args: tuple[Any, ...]) -> Decoder:
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        # A fixed-shape tuple: one type per position.
        positional = [_decoder(a) for a in args]

        def decode_fixed(value: Any, name: str) -> Any:
            if not isinstance(value, list | tuple) or len(value) != len(positional):
                raise ValidationFailed.for_field(name, f"Expected {len(positional)} items.")
            return tuple(
                v if d is None or v is None else d(v, name)
                for d, v in zip(positional, value, strict=True)
            )

        return decode_fixed

    item = _decoder(args[0]) if args else None

    def decode_items(value: Any, name: str) -> Any:
        if not isinstance(value, list | tuple):
            raise ValidationFailed.for_field(name, "Expected a list.")
        items = value if item is None else [v if v is None else item(v, name) for v in value]
        return origin(items)

    return decode_items
