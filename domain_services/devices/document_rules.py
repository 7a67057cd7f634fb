"""What a status document may contain: field names, nesting, size and value types.

MongoDB gives some field names a meaning (`$set`, `a.b` is a path, `_id` is the key) and some
servers or fakes accept what others reject, so the store checks every name itself, recursively,
before anything reaches the database:

- a field name is a non-empty `str`, does not start with `$`, contains no `.` and no NUL, and
  is not `_id` (at any level); the store also reserves its own top-level names;
- values are `None`, `bool`, `int` (64-bit), `float`, `str`, `datetime`, dictionaries and
  lists/tuples of those;
- caps, from `MONGODB['OPTIONS']`: `MAX_DOCUMENT_DEPTH` (default 8 levels of dictionaries and
  lists), `MAX_DOCUMENT_KEYS` (default 200 field names in all), `MAX_DOCUMENT_BYTES` (default
  16 KiB of BSON). The key count and the cheap length checks stop a huge or deep document early,
  before it is walked or encoded in full.

A violation raises `ValidationFailed` whose field is the dotted path of the offending name
(`readings.$gt`, `meta.0.a.b`), so the caller's error names exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import bson
from bson.errors import InvalidDocument
from django.core.signals import setting_changed

from domain_services.errors import ValidationFailed
from domain_services.integrations.mongodb.settings import SETTING, library_options

_INT64 = 2**63
_SCALARS = (str, float, bool, datetime, type(None))
# Each array element costs at least 3 bytes of BSON (type, index, NUL): a longer list cannot fit.
_MIN_ELEMENT_BYTES = 3


@dataclass(frozen=True, slots=True)
class DocumentRules:
    """Caps on one document; `check()` enforces them and the field-name rules."""

    max_depth: int = 8
    max_keys: int = 200
    max_bytes: int = 16 * 1024

    @classmethod
    def from_settings(cls) -> DocumentRules:
        """The caps configured in `MONGODB['OPTIONS']` (defaults when unset)."""
        options = library_options()
        return cls(
            max_depth=options["max_document_depth"],
            max_keys=options["max_document_keys"],
            max_bytes=options["max_document_bytes"],
        )

    def check(self, fields: Mapping[str, Any], *, reserved: Collection[str] = ()) -> None:
        """Raise `ValidationFailed` naming the first offending field of `fields`, if any."""
        if type(fields) is not dict and not isinstance(fields, Mapping):
            raise ValidationFailed.for_field(
                "fields", f"must be a mapping of field names, not {type(fields).__name__}"
            )
        for name in reserved:
            if name in fields:
                raise ValidationFailed.for_field(name, "is reserved for the store")
        walk = _Walk(self)
        walk.mapping(fields, "", 1)
        if walk.exact or walk.bound > self.max_bytes:
            try:
                size = len(bson.encode(fields))
            except (UnicodeEncodeError, InvalidDocument) as exc:
                # What BSON cannot hold, such as a lone surrogate in a string.
                raise ValidationFailed.for_field(
                    _unencodable(fields), f"cannot be stored in BSON ({exc})"
                ) from None
            if size > self.max_bytes:
                raise ValidationFailed.for_field(
                    _largest(fields),
                    f"the document encodes to {size} bytes; the limit is {self.max_bytes}",
                )


class _Walk:
    """One traversal, counting field names across the whole document.

    It also adds up an upper bound of the document's BSON size for the usual case (ASCII names
    and strings, numbers, booleans, null, nested dictionaries): when that is under the cap, the
    exact size is not needed. Anything else sets `exact`, and the document is encoded.
    """

    __slots__ = ("bound", "exact", "keys", "rules")

    def __init__(self, rules: DocumentRules) -> None:
        self.rules = rules
        self.keys = 0
        self.bound = 0
        self.exact = False

    def mapping(self, value: Mapping[Any, Any], prefix: str, depth: int) -> None:
        rules = self.rules
        if depth > rules.max_depth:
            raise ValidationFailed.for_field(
                prefix.rstrip("."), f"is nested deeper than {rules.max_depth} levels"
            )
        self.keys += len(value)
        if self.keys > rules.max_keys:
            raise ValidationFailed.for_field(
                prefix.rstrip(".") or "fields",
                f"the document has over {rules.max_keys} fields",
            )
        max_bytes = rules.max_bytes
        # BSON: 4 bytes of length and a final NUL; per element a type byte, the name and a NUL,
        # then the value (8 bytes at most for a number; 4 + length + 1 for a string).
        bound = self.bound + 5
        for key, item in value.items():
            # The usual case first, in one test per name and per scalar value: a status is
            # checked for every MQTT message, so the path is only built for what needs it.
            if not is_plain_name(key):
                _refuse_name(key, prefix)
            if not key.isascii():
                self.exact = True
            kind = type(item)
            if kind is str:
                if len(item) > max_bytes:
                    raise ValidationFailed.for_field(prefix + key, f"is longer than {max_bytes}")
                if not item.isascii():
                    self.exact = True
                bound += len(key) + len(item) + 7
            elif kind is int:
                if not -_INT64 <= item < _INT64:
                    raise ValidationFailed.for_field(prefix + key, "integers must fit in 64 bits")
                bound += len(key) + 10
            elif kind is float or kind is bool or item is None:
                bound += len(key) + 10
            elif kind is dict:
                self.bound = bound + len(key) + 2
                self.mapping(item, f"{prefix}{key}.", depth + 1)
                bound = self.bound
            else:
                self.exact = True
                self.value(item, prefix + key, depth)
        self.bound = bound

    def value(self, item: Any, path: str, depth: int) -> None:
        if isinstance(item, _SCALARS):
            if isinstance(item, str) and len(item) > self.rules.max_bytes:
                raise ValidationFailed.for_field(path, f"is longer than {self.rules.max_bytes}")
            return
        if isinstance(item, int):
            if not -_INT64 <= item < _INT64:
                raise ValidationFailed.for_field(path, "integers must fit in 64 bits")
            return
        if isinstance(item, Mapping):
            self.mapping(item, path + ".", depth + 1)
            return
        if isinstance(item, list | tuple):
            if depth + 1 > self.rules.max_depth:
                raise ValidationFailed.for_field(
                    path, f"is nested deeper than {self.rules.max_depth} levels"
                )
            if len(item) * _MIN_ELEMENT_BYTES > self.rules.max_bytes:
                raise ValidationFailed.for_field(path, f"has too many items ({len(item)})")
            for index, element in enumerate(item):
                self.value(element, f"{path}.{index}", depth + 1)
            return
        raise ValidationFailed.for_field(
            path, f"values must be JSON-like or datetimes, not {type(item).__name__}"
        )


def is_plain_name(key: object) -> bool:
    """Whether `key` may name a field at any level: a non-empty `str` without a leading `$`,
    a `.` or a NUL, and not `_id`."""
    return (
        type(key) is str
        and key != ""
        and key[0] != "$"
        and "." not in key
        and "\x00" not in key
        and key != "_id"
    )


def _refuse_name(key: Any, prefix: str) -> None:
    """Raise the `ValidationFailed` naming why `key` (under `prefix`) is not a field name."""
    if type(key) is not str:
        raise ValidationFailed.for_field(f"{prefix}{key!r}", "field names must be strings")
    path = prefix + key
    if not key:
        raise ValidationFailed.for_field(path or "(empty)", "field names may not be empty")
    if key[0] == "$":
        raise ValidationFailed.for_field(path, "field names may not start with '$'")
    if "." in key:
        raise ValidationFailed.for_field(path, "field names may not contain '.'")
    if "\x00" in key:
        raise ValidationFailed.for_field(
            path.replace("\x00", "\\x00"), "field names may not contain NUL"
        )
    raise ValidationFailed.for_field(path, "'_id' is reserved")


def _unencodable(fields: Mapping[str, Any]) -> str:
    # Only on failure: name the first top-level field that BSON cannot encode.
    for name, value in fields.items():
        try:
            bson.encode({"v": value})
        except (UnicodeEncodeError, InvalidDocument):
            return str(name)
    return "fields"


def _largest(fields: Mapping[str, Any]) -> str:
    # Only on failure: name the top-level field that takes the most room, the one to shrink.
    return max(fields, key=lambda name: len(bson.encode({"v": fields[name]})), default="fields")


_current: DocumentRules | None = None


def current_rules() -> DocumentRules:
    """The rules from settings, read once (re-read when a test overrides `MONGODB`)."""
    global _current
    if _current is None:
        _current = DocumentRules.from_settings()
    return _current


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _current
    if setting == SETTING:
        _current = None


setting_changed.connect(_on_setting_changed, dispatch_uid="domain_services.devices.document_rules")
