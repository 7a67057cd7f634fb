"""Serializer fields and checks that take JSON types at their word.

DRF converts generously: `UUIDField` turns the integer `0` (and `false`, an int in Python) into
`00000000-0000-0000-0000-000000000000`, `CharField` turns `12` into `"12"`, `BooleanField` takes
`"yes"` and `1`, `IntegerField` takes `"7"`. An API whose schema says "string, format uuid" must
refuse `false`, or a client bug silently addresses the nil UUID. Two things here:

- `StrictUUIDField`: a UUID is a string (or a `UUID` object in process), nothing else. Every
  UUID the library's and the projects' serializers read goes through it.
- `json_type_errors(fields, data)`: for a JSON body, each value must have the JSON type the field
  documents (string, integer, boolean, array, object), checked before DRF converts anything.
  `validated_input` runs it, so every request body is as strict as its schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

MAX_REPORTED = 20  # wrong values named per request; a body of a million of them gets the gist


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a string in any of `uuid.UUID`'s forms; integers and booleans are refused."""

    default_error_messages = {"invalid": "Must be a UUID string, not {input!r}."}

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if isinstance(data, uuid.UUID):
            return data
        if not isinstance(data, str):
            self.fail("invalid", input=_short(data))
        try:
            return uuid.UUID(data)
        except ValueError:
            self.fail("invalid", input=_short(data))


# The JSON type each kind of field documents in the schema; the first match wins, so subclasses
# (SlugField, EmailField, ChoiceField...) come under their base.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DecimalField, (str, int, float), "a number"),
    (serializers.ListField, (list,), "an array"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.JSONField, (object,), "JSON"),
    (serializers.MultipleChoiceField, (list,), "an array"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a UUID string"),
    (serializers.DateTimeField, (str,), "a date-time string"),
    (serializers.DateField, (str,), "a date string"),
    (serializers.TimeField, (str,), "a time string"),
)


def json_type_errors(
    fields: Mapping[str, serializers.Field], data: Mapping[str, Any]
) -> dict[str, list[str]]:
    """`field -> [message]` for each value in `data` whose JSON type its field does not take.

    Nested lists, objects and serializers are checked all the way down (`args.0.x`); a field of
    a kind not listed here is left to its own validation.
    """
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is not None and not field.read_only:
            _check(field, value, str(name), errors)
        if len(errors) >= MAX_REPORTED:
            break
    return errors


def _check(field: serializers.Field, value: Any, path: str, errors: dict[str, list[str]]) -> None:
    if len(errors) >= MAX_REPORTED:
        return
    if value is None:
        return  # allow_null decides, with its own message
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            errors[path] = [f"Must be an object, not {_json_name(value)}."]
            return
        for name, item in value.items():
            sub = field.fields.get(name)
            if sub is not None and not sub.read_only:
                _check(sub, item, f"{path}.{name}", errors)
        return
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(value, list):
            errors[path] = [f"Must be an array, not {_json_name(value)}."]
            return
        if field.child is not None:
            for index, item in enumerate(value):
                _check(field.child, item, f"{path}.{index}", errors)
        return
    for kind, types, name in _JSON_TYPES:
        if isinstance(field, kind):
            # bool is an int in Python; in JSON it is not a number.
            wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
            if wrong:
                errors[path] = [f"Must be {name}, not {_json_name(value)}."]
                return
            break
    else:
        return
    if isinstance(field, serializers.ListField) and field.child is not None:
        for index, item in enumerate(value):
            _check(field.child, item, f"{path}.{index}", errors)
    elif isinstance(field, serializers.DictField) and field.child is not None:
        for key, item in value.items():
            _check(field.child, item, f"{path}.{key}", errors)


def _json_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _short(value: Any) -> Any:
    return value[:40] if isinstance(value, str) else value
