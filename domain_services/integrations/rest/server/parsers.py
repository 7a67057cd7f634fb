"""`JSONParser`: DRF's JSON parser, with limits a hostile body cannot get past.

- Nesting: Python's decoder recurses once per level, so about 945 nested `[` exhaust the stack
  and raise `RecursionError`, a 500. Here a body nested deeper than `max_depth` (64) is a 400
  naming the top-level field that holds it, or `body` when the body itself is the deep part.
- Text: JSON's `\\ud800` escape decodes to a lone surrogate, a `str` that cannot be encoded as
  UTF-8: stored, echoed in an error or logged, it fails far from here. Any key or value holding
  one is a 400 naming where it is.

The body's size is Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`, answered with 413 (see
`exceptions.py` and `middleware.py`).

    REST_FRAMEWORK = {"DEFAULT_PARSER_CLASSES":
                      ["domain_services.integrations.rest.server.parsers.JSONParser"]}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from domain_services.errors import ValidationFailed

BODY = "body"


class JSONParser(parsers.JSONParser):
    """JSON bodies at most `max_depth` levels deep, made of text that is valid Unicode."""

    max_depth: ClassVar[int] = 64

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # bytes.decode takes text codecs only: a `charset=bz2_codec` cannot inflate the body
            # past DATA_UPLOAD_MAX_MEMORY_SIZE.
            text = stream.read().decode(encoding)
        except LookupError:
            raise ParseError(f"Unsupported charset {encoding[:40]!r}.") from None
        except ValueError as exc:
            raise ParseError(f"The body is not {encoding[:40]} text - {exc}") from None
        try:
            # DRF's JSONParser, minus the stream reader: the text is kept to name a deep field.
            constant = drf_json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=constant)
        except RecursionError:
            # Deeper than the decoder's stack allows: name the field from the raw text.
            raise too_deep(_deep_field(text, self.max_depth) or BODY, self.max_depth) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        check_json(data, max_depth=self.max_depth)
        return data


def check_json(data: Any, *, max_depth: int) -> None:
    """Raise ValidationFailed naming the first place where `data` nests too deep or is not text.

    Too deep names the top-level field holding the deep part (`body` for the body itself);
    broken text names its full path (`args.x`). Iterative, so it cannot run out of stack on
    anything the decoder accepted.
    """
    # (value, its path, the top-level field it is under, its depth)
    stack: list[tuple[Any, str | None, str | None, int]] = [(data, None, None, 1)]
    while stack:
        value, path, top, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise too_deep(top or BODY, max_depth)
            for key, item in value.items():
                where = _join(path, key)
                if _is_broken_text(key):
                    raise _not_text(where)
                stack.append((item, where, top or where, depth + 1))
        elif isinstance(value, list):
            if depth > max_depth:
                raise too_deep(top or BODY, max_depth)
            for index, item in enumerate(value):
                stack.append((item, _join(path, index) if path else None, top, depth + 1))
        elif isinstance(value, str) and _is_broken_text(value):
            raise _not_text(path or BODY)


def too_deep(field: str, max_depth: int) -> ValidationFailed:
    """The error for JSON nested deeper than `max_depth`, naming `field`."""
    return ValidationFailed.for_field(field, f"JSON nested deeper than {max_depth} levels.")


def _not_text(field: str) -> ValidationFailed:
    return ValidationFailed.for_field(
        field, "Contains a lone UTF-16 surrogate (such as \\ud800), which is not valid text."
    )


def _is_broken_text(value: str) -> bool:
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# A JSON string, or one bracket: enough to follow the nesting without decoding anything.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_field(text: str, max_depth: int) -> str | None:
    """The top-level key of the object `text` whose value nests past `max_depth`, if any."""
    depth, key, last_string = 0, None, None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            last_string = token
        elif token in "[{":
            depth += 1
            if depth == 2 and text.lstrip().startswith("{"):
                key = last_string  # the string just before a top-level value is its key
            if depth > max_depth:
                try:
                    return _name(json.loads(key)) if key else None
                except ValueError:
                    return None
        else:
            depth -= 1
    return None


def _name(key: str) -> str:
    """`key` printable in an error body, whatever it holds."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _join(field: str | None, key: str | int) -> str:
    part = _name(key) if isinstance(key, str) else str(key)
    return part if field is None else f"{field}.{part}"
