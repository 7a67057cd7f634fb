"""The books domain, implemented in this process on its own data."""

from collections.abc import Mapping
from typing import Any

from domain_services import ModelService, NotFound, ValidationFailed, services

from authors.interface import Authors

from .interface import BookDTO, Books
from .models import Book


class BookService(ModelService[Book, BookDTO]):
    model = Book
    declaration = Books.books
    default_ordering = ("title",)

    def validate_references(
        self, changes: dict[str, Any], *, current: Mapping[str, Any] | None
    ) -> None:
        # Runs before the write, only for the fields that change: the authors domain is
        # asked about the author, in this process or over REST, whichever serves it.
        if "author" in changes:
            try:
                services.get("authors", Authors).authors.get(changes["author"])
            except NotFound:
                raise ValidationFailed.for_field(
                    "author", f"No author with UUID {changes['author']}."
                ) from None


class BooksDomain(Books):
    """The books domain, local: the class its DOMAIN_SERVICES entry names."""

    def __init__(self) -> None:
        self.books = BookService()
