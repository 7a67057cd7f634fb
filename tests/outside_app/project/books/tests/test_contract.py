"""The books domain keeps the promises of its interface, locally and over REST.

The tests come from `InterfaceContract`: each resource of the declaration is created,
read, listed (with each declared filter, ordering and search), updated and deleted
through the local implementation and through the REST client derived from the
interface, which a live server answers. `samples` gives the fields of a new, valid
object of each resource.
"""

from uuid import UUID

from domain_services import services
from domain_services.testing.contract import InterfaceContract

from authors.interface import Authors
from books.interface import Books


def new_author(n: int) -> UUID:
    """A book needs an author: made in the authors domain, wherever it runs."""
    return services.get("authors", Authors).authors.create(name=f"Author {n}").uuid


class TestBooksContract(InterfaceContract):
    interface = Books
    samples = {
        "books": lambda ctx: {"title": f"Book {ctx.n}", "author": new_author(ctx.n)},
    }
