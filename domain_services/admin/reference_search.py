"""The JSON behind a `ReferenceSelect`: one page of the owning domain's `list(search=...)`.

Answers Select2's request (`?term=<text>&page=<n>`) with
`{"results": [{"id": "<uuid>", "text": "<label>"}], "pagination": {"more": true|false}}`.
A term that is a UUID is looked up with `get_many` (staff paste UUIDs). Errors have the body
the REST API uses (`{"code", "detail", "errors"}`) and its statuses: 400 naming `term` or
`page`, 503 while the owning domain cannot answer; never a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, JsonResponse

from domain_services.admin.reference_targets import ReferenceTarget
from domain_services.errors import DomainError, ValidationFailed

PAGE_SIZE = 20  # what Django's own autocomplete view pages by
MAX_TERM = 200  # what `ModelService.list(search=...)` accepts


def search_references(request: HttpRequest, target: ReferenceTarget) -> JsonResponse:
    """One page of `target`'s objects matching `?term=`, labelled for staff."""
    try:
        term, page = _term(request), _page(request)
        key = _uuid_or_none(term)
        if key is not None:
            items: Any = target.resource.get_many([key]).values()
            more = False
        else:
            if term and not target.searchable:
                raise ValidationFailed.for_field(
                    "term", f"The {target.domain} {target.model} objects cannot be searched."
                )
            found = target.resource.list(
                search=term or None, page=page, page_size=_page_size(target)
            )
            items, more = found.items, found.has_next
    except DomainError as exc:
        return error_response(exc)
    results = [{"id": str(dto.uuid), "text": target.label_of(dto)} for dto in items]
    return JsonResponse({"results": results, "pagination": {"more": more}})


def error_response(exc: DomainError) -> JsonResponse:
    """A domain error as the REST API answers it (status and body)."""
    response = JsonResponse(exc.as_dict(), status=exc.status_code)
    if exc.status_code == 503:
        response["Retry-After"] = "5"
    return response


def _term(request: HttpRequest) -> str:
    term = request.GET.get("term", "").strip()
    if len(term) > MAX_TERM:
        raise ValidationFailed.for_field("term", f"Must be at most {MAX_TERM} characters.")
    if not term.isprintable():
        # A NUL cannot reach a PostgreSQL text query; no other control character is a name.
        raise ValidationFailed.for_field("term", "Must not contain control characters.")
    return term


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise ValidationFailed.for_field("page", "Must be a whole number >= 1.")
    return int(raw)


def _page_size(target: ReferenceTarget) -> int:
    return min(PAGE_SIZE, target.spec.max_page_size) if target.spec is not None else PAGE_SIZE


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
