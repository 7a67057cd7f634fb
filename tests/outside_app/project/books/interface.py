"""The books domain's public interface: what every other domain may ask of it."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain_services.interfaces import Field, Interface, resource


@dataclass(frozen=True, slots=True)
class BookDTO:
    uuid: UUID
    title: str
    author: UUID
    created_at: datetime


class Books(Interface, domain="books"):
    """The books domain."""

    books = resource(
        BookDTO,
        filters={"author": UUID},
        ordering=("title", "created_at"),
        search=("title",),
        create={"title": Field(max_length=200), "author": Field()},
        delete=True,
        label="title",
    )
