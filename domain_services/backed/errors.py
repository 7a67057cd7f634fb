"""`UnsupportedQuery`: what a service-backed model cannot do faithfully, said at once."""

from __future__ import annotations

from django.db import NotSupportedError


class UnsupportedQuery(NotSupportedError):
    """An ORM operation a domain's interface cannot answer faithfully.

    Raised where the operation is asked for, never after a silent full fetch: the message
    names the model, the operation, why the interface cannot do it, and what to do instead.
    """

    def __init__(self, model: type, operation: str, why: str, instead: str) -> None:
        self.model = model
        self.operation = operation
        super().__init__(f"{model.__name__}.objects.{operation}: {why} Instead, {instead}")
