"""Declaring an interface: resources, operations, and the in-memory fake derived from them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import pytest

from domain_services import NotFound, ValidationFailed
from domain_services.interfaces import Field, Interface, command, query, resource
from domain_services.interfaces.fake import fake, fake_class


@dataclass(frozen=True, slots=True)
class ShelfDTO:
    uuid: UUID
    name: str
    aisle: int
    store: UUID


class Stores(Interface, domain="stores"):
    """A tiny interface for these tests."""

    shelves = resource(
        ShelfDTO,
        filters={"store": UUID, "aisle": int},
        ordering=("name", "aisle"),
        search=("name",),
        create={"name": Field(max_length=20), "aisle": Field(min_value=1), "store": Field()},
        delete=True,
        max_page_size=10,
    )

    @query(route="stores/{store_uuid}/shelves")
    def shelves_of_store(self, *, store_uuid: UUID) -> list[ShelfDTO]:
        """Every shelf of one store."""
        raise NotImplementedError

    @command
    def restock(self, *, shelf_uuid: UUID, count: int = 1) -> None:
        """Restock one shelf."""
        raise NotImplementedError


def test_the_declaration_collects_resources_and_operations():
    assert Stores.domain == "stores"
    assert list(Stores.resources) == ["shelves"]
    spec = Stores.shelves
    assert spec.path == "shelves" and spec.dto is ShelfDTO
    assert spec.filters == {"store": UUID, "aisle": int}
    # Updates take the create fields, all optional.
    assert {n: f.required for n, f in spec.update_fields.items()} == dict.fromkeys(
        ("name", "aisle", "store"), False
    )
    shelves_of_store, restock = Stores.operations.values()
    assert (shelves_of_store.kind, shelves_of_store.route) == (
        "query",
        "stores/{store_uuid}/shelves",
    )
    assert shelves_of_store.path_parameters == ["store_uuid"]
    assert (restock.kind, restock.route) == ("command", "restock")


def test_mistakes_in_a_declaration_fail_when_the_class_is_defined():
    with pytest.raises(TypeError, match="keyword-only"):

        class Positional(Interface, domain="x"):
            @query
            def find(self, name: str) -> None: ...

    with pytest.raises(TypeError, match="not DTO fields"):
        resource(ShelfDTO, filters={"colour": str})
    with pytest.raises(TypeError, match="route parameters"):

        class BadRoute(Interface, domain="y"):
            @query(route="a/{missing}")
            def find(self, *, name: str) -> None: ...


def test_an_implementation_that_leaves_something_out_is_named():
    class Partial(Stores):
        def __init__(self) -> None:
            pass

        def restock(self, *, shelf_uuid: UUID, count: int = 1) -> None:
            pass

    assert Stores.missing(Partial()) == ["resource 'shelves'", "operation 'shelves_of_store'"]
    with pytest.raises(AttributeError, match="does not provide the 'shelves' resource"):
        Partial().shelves  # noqa: B018


def test_the_fake_keeps_the_declared_rules():
    stores = fake(Stores)
    store = uuid.uuid4()
    a = stores.shelves.create(name="Apples", aisle=2, store=store)
    b = stores.shelves.create(name="Bread", aisle=1, store=store)
    stores.shelves.create(name="Cheese", aisle=1, store=uuid.uuid4())

    assert stores.shelves.get(a.uuid) == a
    assert stores.shelves.get_many([a.uuid, uuid.uuid4()]) == {a.uuid: a}
    page = stores.shelves.list(filters={"store": str(store)}, ordering="-name", page_size=1)
    assert (page.items, page.total) == ((b,), 2)
    assert [s.name for s in stores.shelves.list(ordering=["aisle", "name"]).items] == [
        "Bread",
        "Cheese",
        "Apples",
    ]
    assert stores.shelves.list(search="bre").items == (b,)
    with pytest.raises(NotFound):
        stores.shelves.get(uuid.uuid4())
    for call, field in [
        (lambda: stores.shelves.get("nope"), "uuid"),
        (lambda: stores.shelves.list(filters={"colour": "red"}), "filters"),
        (lambda: stores.shelves.list(ordering="store"), "ordering"),
        (lambda: stores.shelves.list(page_size=11), "page_size"),
        (lambda: stores.shelves.list(filters={"store": False}), "store"),
        (lambda: stores.shelves.create(name="X", aisle=1), "store"),
        (lambda: stores.shelves.create(name="X", aisle=1, store=store, colour=1), "colour"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            call()
        assert field in caught.value.errors, (field, caught.value.errors)


def test_a_fake_operation_must_be_written_by_the_test_that_needs_it():
    with pytest.raises(NotImplementedError, match="fake_class\\(Stores\\)"):
        fake(Stores).shelves_of_store(store_uuid=uuid.uuid4())

    class FakeStores(fake_class(Stores)):
        def shelves_of_store(self, *, store_uuid: UUID) -> list[ShelfDTO]:
            return [s for s in self.shelves.items.values() if s.store == store_uuid]

    stores = FakeStores()
    store = uuid.uuid4()
    shelf = stores.shelves.create(name="A", aisle=1, store=store)
    assert stores.shelves_of_store(store_uuid=store) == [shelf]
    assert isinstance(stores, Stores) and Stores.missing(stores) == []
