"""Device EUIs (IEEE EUI-64): what a device is keyed by in topics, APIs and the status store."""

from __future__ import annotations

import re

from domain_services.errors import ValidationFailed

# ASCII only: str.isalnum/int(x, 16) would also accept other scripts' digits.
_PLAIN = re.compile(r"[0-9A-Fa-f]{16}")
_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){6}")
# What `normalize_eui` accepts, as one regular expression without back-references, for schemas
# (an OpenAPI `pattern`) and form fields.
EUI_PATTERN = (
    r"^(?:[0-9A-Fa-f]{16}"
    r"|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}"
    r"|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7})$"
)


def normalize_eui(value: object, *, field: str = "eui") -> str:
    """The canonical form of an EUI: 16 upper-case hex digits.

    Accepts a `str` of 16 hex digits in any case, or 8 pairs separated throughout by `-` or `:`
    (as printed on labels: `70-B3-D5-7E-D0-00-12-34`). Anything else, including a dict such as
    `{"$ne": None}` that would act as a query operator, raises `ValidationFailed` naming `field`.
    """
    # type() rather than isinstance: a str subclass could change how it compares or encodes.
    if type(value) is not str:
        raise ValidationFailed.for_field(
            field, f"must be a string of 16 hex digits, not {type(value).__name__}"
        )
    if _PLAIN.fullmatch(value):
        return value.upper()
    if _SEPARATED.fullmatch(value):
        return value.replace(value[2], "").upper()
    raise ValidationFailed.for_field(field, f"must be 16 hex digits, not {value[:40]!r}")
