"""The contract base fails an implementation that breaks its declaration.

Each broken implementation is the catalog's fake with one fault; the generic tests run on it
directly (no database, no server) and must fail, while the unbroken fake passes them (it does
in `test_contract_catalog.py`).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest

from domain_services.errors import ValidationFailed
from domain_services.interfaces import Interface, resource
from domain_services.interfaces.fake import InMemoryResource, fake, fake_class
from domain_services.testing.contract import NOT_APPLICABLE, InterfaceContract, Samples
from domain_services.testing.plugin import pytest_collection_modifyitems
from tests.catalog.interface import Catalog
from tests.catalog.services import CategoryDTO
from tests.testing import test_contract_catalog

BROKEN = (AssertionError, pytest.fail.Exception)
# Not imported by name: pytest would collect it here a second time.
CatalogContract = test_contract_catalog.TestCatalogContract


class IgnoresUndeclaredFilters(InMemoryResource[Any]):
    def list(self, *, filters=None, **options):
        declared = {k: v for k, v in (filters or {}).items() if k in self.spec.filters}
        return super().list(filters=declared, **options)


class IgnoresFilterValues(InMemoryResource[Any]):
    def list(self, *, filters=None, **options):
        self.spec.check_filters(filters or {})
        return super().list(**options)


class SortsOneWay(InMemoryResource[Any]):
    def list(self, *, ordering=None, **options):
        if isinstance(ordering, str):
            ordering = ordering.lstrip("-")
        return super().list(ordering=ordering, **options)


class NamesTheWrongField(InMemoryResource[Any]):
    def get(self, uuid):
        if not hasattr(uuid, "hex") and len(str(uuid)) != 36:
            raise ValidationFailed.for_field("id", "Not a UUID.")
        return super().get(uuid)


class ForgetsUpdates(InMemoryResource[Any]):
    def update(self, uuid, **fields):
        return dataclasses.replace(self.get(uuid), **fields)


class AcceptsAnyPageSize(InMemoryResource[Any]):
    def list(self, *, page_size=None, **options):
        return super().list(page_size=min(page_size or 50, self.spec.max_page_size), **options)


def catalog_with(resource_class: type[InMemoryResource[Any]]) -> Any:
    catalog = fake(Catalog)
    catalog.products = resource_class(Catalog.products)
    return catalog


@pytest.mark.parametrize(
    ("broken", "test"),
    [
        (IgnoresUndeclaredFilters, "test_refuses_what_is_not_declared"),
        (NamesTheWrongField, "test_refuses_what_is_not_declared"),
        (AcceptsAnyPageSize, "test_refuses_what_is_not_declared"),
        (IgnoresFilterValues, "test_lists_as_declared"),
        (SortsOneWay, "test_lists_as_declared"),
        (ForgetsUpdates, "test_round_trip"),
    ],
)
def test_a_broken_implementation_fails_the_contract(request, broken, test):
    contract = CatalogContract()
    subject = catalog_with(broken)
    with pytest.raises(BROKEN):
        getattr(contract, test)(subject, "products", Samples(contract.samples, subject, request))


def test_the_same_tests_pass_on_the_unbroken_fake(request):
    contract = CatalogContract()
    for test in ("test_round_trip", "test_lists_as_declared", "test_refuses_what_is_not_declared"):
        subject = fake(Catalog)
        getattr(contract, test)(subject, "products", Samples(contract.samples, subject, request))


class ForgivingFake(fake_class(Catalog)):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.products = IgnoresUndeclaredFilters(Catalog.products)


class CatalogAgainstAForgivingFake(CatalogContract):
    backends = ("local", "fake")

    def _local(self) -> Any:
        return fake(Catalog)

    def make_fake(self) -> Any:
        return ForgivingFake()


def test_backends_that_answer_differently_fail_the_comparison(request):
    contract = CatalogAgainstAForgivingFake()
    with pytest.raises(AssertionError, match="fake and local differ on an undeclared filter"):
        contract.test_backends_answer_alike(request, "products")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"interface": object}, "must be an Interface declaration"),
        ({"samples": {"products": {}}}, r"no entry for \['categories'\]"),
        ({"samples": {**CatalogContract.samples, "colours": {}}}, r"names \['colours'\]"),
        ({"backends": ("local", "grpc")}, r"\['grpc'\] unknown"),
    ],
)
def test_a_contract_that_cannot_be_run_is_refused_naming_why(change, message):
    contract = type("TestBroken", (CatalogContract,), change)
    with pytest.raises(TypeError, match=message):
        contract._check_contract()


class ReadOnly(Interface, domain="readonly"):
    categories = resource(CategoryDTO, ordering=("name",))


class TestReadOnlyShape(InterfaceContract):
    """Never collected as a test here (its generated tests are checked below)."""

    interface = ReadOnly


TestReadOnlyShape.__test__ = False  # type: ignore[attr-defined]


def test_a_read_only_resource_refuses_search_where_none_is_declared(request):
    subject = fake(ReadOnly)
    contract = TestReadOnlyShape()
    contract.test_refuses_what_is_not_declared(subject, "categories", Samples({}, subject, request))


class Metafunc:
    def __init__(self, function: Any) -> None:
        self.function = function
        self.fixturenames = ["contract_backend", "contract_resource"]
        self.parametrized: dict[str, list[Any]] = {}

    def parametrize(self, name: str, values: Any) -> None:
        self.parametrized[name] = [getattr(v, "values", (v,))[0] for v in values]


def test_tests_that_need_create_do_not_apply_to_a_read_only_resource():
    generated = {}
    for test in ("test_round_trip", "test_refuses_what_is_not_declared"):
        metafunc = Metafunc(getattr(InterfaceContract, test))
        TestReadOnlyShape().pytest_generate_tests(metafunc)  # type: ignore[arg-type]
        generated[test] = metafunc.parametrized["contract_resource"]
    assert generated == {
        "test_round_trip": [NOT_APPLICABLE],
        "test_refuses_what_is_not_declared": ["categories"],
    }


def test_the_plugin_deselects_tests_that_apply_to_nothing():
    def item(resource: Any) -> Any:
        return SimpleNamespace(callspec=SimpleNamespace(params={"contract_resource": resource}))

    deselected: list[Any] = []
    hook = SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items))
    config = SimpleNamespace(hook=hook)
    items = [item("categories"), item(NOT_APPLICABLE), SimpleNamespace()]
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert [getattr(i, "callspec", None) for i in items] == [items[0].callspec, None]
    assert len(deselected) == 1
