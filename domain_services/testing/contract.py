"""A contract-test base for any interface: the same generic assertions, local and over REST.

    from domain_services.testing.contract import InterfaceContract

    class TestCatalogContract(InterfaceContract):
        interface = Catalog
        samples = {
            "categories": lambda ctx: {"name": f"Category {ctx.n}"},
            "products": lambda ctx: {
                "name": f"Product {ctx.n}", "sku": f"SKU-{ctx.n:05d}", "price_cents": ctx.n,
                "category": ctx.create("categories").uuid,
            },
        }

Each test runs once per backend (`backends`, default local and REST) and once per declared
resource, and proves what the declaration promises: create/get/get_many/list round trips;
update and delete when declared; each declared filter selects, each declared ordering sorts,
search finds; pages honour the declared sizes; a missing UUID is `NotFound`; a malformed UUID,
an undeclared filter or ordering, a page size over the declared maximum and an unknown field
are a `ValidationFailed` naming `uuid`, `filters`, `ordering`, `page_size` or the field. One
more test per resource asks the same questions of every backend and compares the answers.

What the base needs from a subclass:

- `interface`: the `Interface` declaration;
- `samples`: for each resource that declares `create`, a function of a `SampleContext` giving
  the fields of a new, valid object (`ctx.n` is a number unique to the call; `ctx.create(name)`
  makes an object of another resource of the same domain; `ctx.fixture(name)` is any pytest
  fixture, e.g. one that makes objects in other domains). Give values that differ between
  calls, so orderings can be checked, and values for each declared filter;
- `implementation` (optional): the local implementation class or its dotted path, when
  `DOMAIN_SERVICES` does not already serve the domain locally;
- `backends` (optional): any of `"local"`, `"rest"` (`serve_over_rest`, a live server) and
  `"fake"` (`domain_services.interfaces.fake`, or what `make_fake()` returns).

Custom operations and rules of the domain (a cascade, a reference check) are the domain's own
tests: write them next to the subclass, with the same fixtures (`contract_subject`).
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import pytest

from domain_services.errors import DomainError, NotFound, ValidationFailed
from domain_services.interfaces import Interface, ResourceSpec
from domain_services.interfaces.fake import fake
from domain_services.registry import services
from domain_services.testing.rest import serve_locally

BACKENDS = ("local", "rest", "fake")
UNDECLARED_FIELD = "not_a_declared_field"
UNDECLARED_FILTER = "not_a_declared_filter"
UNDECLARED_ORDERING = "not_a_declared_ordering"


class _NotApplicable:
    """The resource parameter of a generic test no declared resource applies to; the plugin
    deselects such tests (an interface without `create` has nothing to round-trip)."""

    def __repr__(self) -> str:
        return "not-applicable"


NOT_APPLICABLE = _NotApplicable()

_numbers = itertools.count(1)


class SampleContext:
    """What a sample function gets: a unique number and ways to make what the sample needs."""

    def __init__(self, samples: Samples, n: int) -> None:
        self.n = n
        self.domain = samples.domain
        self._samples = samples

    def create(self, resource: str, **overrides: Any) -> Any:
        """A new object of another resource of the domain under test, from its sample."""
        return self._samples.create(resource, **overrides)

    def values(self, resource: str, **overrides: Any) -> dict[str, Any]:
        """The fields of another sample, without creating it."""
        return self._samples.values(resource, **overrides)

    def fixture(self, name: str) -> Any:
        """The value of the pytest fixture `name` for the running test."""
        return self._samples.request.getfixturevalue(name)


Sample = Callable[[SampleContext], Mapping[str, Any]] | Mapping[str, Any]


class Samples:
    """The samples of a contract, made through one implementation of its interface."""

    def __init__(
        self, samples: Mapping[str, Sample], domain: Any, request: pytest.FixtureRequest
    ) -> None:
        self._samples = samples
        self.domain = domain
        self.request = request

    def values(self, resource: str, **overrides: Any) -> dict[str, Any]:
        """The fields of a new `resource` object (its dependencies are created)."""
        sample = self._samples[resource]
        made = sample(SampleContext(self, next(_numbers))) if callable(sample) else sample
        return {**made, **overrides}

    def create(self, resource: str, **overrides: Any) -> Any:
        """A new `resource` object, created through the implementation under test."""
        return getattr(self.domain, resource).create(**self.values(resource, **overrides))


def _needs(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Which resources a generic test applies to: `"any"`, those declaring `create`, or
    (`"comparison"`) those declaring `create` when there are backends to compare."""

    def mark(test: Callable[..., Any]) -> Callable[..., Any]:
        test.contract_needs = kind  # type: ignore[attr-defined]
        return test

    return mark


class InterfaceContract:
    """Base class of a contract test; see the module docstring."""

    interface: ClassVar[type[Interface]]
    samples: ClassVar[Mapping[str, Sample]] = {}
    implementation: ClassVar[type | str | None] = None
    backends: ClassVar[Sequence[str]] = ("local", "rest")

    # The REST backend's live server reads what the test wrote: transactions must commit.
    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [
        pytest.mark.django_db(transaction=True, databases="__all__")
    ]

    # -- collection ------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per backend and per resource the test applies to."""
        self._check_contract()
        if "contract_backend" in metafunc.fixturenames:
            metafunc.parametrize("contract_backend", list(self.backends))
        if "contract_resource" in metafunc.fixturenames:
            needs = getattr(metafunc.function, "contract_needs", "any")
            names = [
                name
                for name, spec in self.interface.resources.items()
                if needs == "any" or spec.create_fields
            ]
            if needs == "comparison" and ("local" not in self.backends or len(self.backends) < 2):
                names = []
            metafunc.parametrize(
                "contract_resource",
                names or [pytest.param(NOT_APPLICABLE, id="not-applicable")],
            )

    @classmethod
    def _check_contract(cls) -> None:
        interface = getattr(cls, "interface", None)
        if not (isinstance(interface, type) and issubclass(interface, Interface)):
            raise TypeError(f"{cls.__name__}.interface must be an Interface declaration.")
        unknown = sorted(set(cls.samples) - set(interface.resources))
        if unknown:
            raise TypeError(
                f"{cls.__name__}.samples names {unknown}, which {interface.__name__} does not "
                f"declare; its resources are {sorted(interface.resources)}."
            )
        missing = [
            name
            for name, spec in interface.resources.items()
            if spec.create_fields and name not in cls.samples
        ]
        if missing:
            raise TypeError(
                f"{cls.__name__}.samples has no entry for {missing}: give each resource that "
                "declares `create` a function of ctx returning the fields of a new object."
            )
        wrong = [backend for backend in cls.backends if backend not in BACKENDS]
        if wrong:
            raise TypeError(f"{cls.__name__}.backends: {wrong} unknown; choose from {BACKENDS}.")

    # -- fixtures --------------------------------------------------------------------------------

    def make_fake(self) -> Any:
        """The in-memory implementation the `fake` backend tests."""
        return fake(self.interface)

    def _configure(self, request: pytest.FixtureRequest) -> None:
        if self.implementation is not None:
            settings = request.getfixturevalue("settings")
            serve_locally(settings, self.interface.domain, self.implementation)

    def _local(self) -> Any:
        return services.get(self.interface.domain, self.interface)

    @pytest.fixture
    def contract_subject(
        self, request: pytest.FixtureRequest, contract_backend: str
    ) -> Iterator[Any]:
        """The implementation under test: local, the REST client of a live server, or a fake;
        `services` gives it for the domain during the test."""
        self._configure(request)
        if contract_backend == "rest":
            yield request.getfixturevalue("serve_over_rest")(self.interface)
        elif contract_backend == "fake":
            subject = self.make_fake()
            with services.overriding(**{self.interface.domain: subject}):
                yield subject
        else:
            yield self._local()

    @pytest.fixture
    def contract_samples(self, request: pytest.FixtureRequest, contract_subject: Any) -> Samples:
        """The contract's samples, made through the implementation under test."""
        return Samples(self.samples, contract_subject, request)

    # -- the generic tests -----------------------------------------------------------------------

    @_needs("create")
    def test_round_trip(
        self, contract_subject: Any, contract_resource: str, contract_samples: Samples
    ) -> None:
        """What is created comes back from get, get_many and list; update and delete, when
        declared, change and remove it."""
        spec, resource = self._spec(contract_resource), getattr(contract_subject, contract_resource)
        values = contract_samples.values(contract_resource)
        created = resource.create(**values)
        assert isinstance(created, spec.dto), f"{contract_resource}.create gave {created!r}"
        _assert_written(created, values, f"{contract_resource}.create")
        assert resource.get(created.uuid) == created
        assert resource.get(str(created.uuid)) == created
        missing = uuid.uuid4()
        assert resource.get_many([created.uuid, missing]) == {created.uuid: created}
        assert created in resource.list(page_size=spec.max_page_size).items

        if spec.update_fields:
            fresh = contract_samples.values(contract_resource)
            changes = {name: value for name, value in fresh.items() if name in spec.update_fields}
            updated = resource.update(created.uuid, **changes)
            assert updated.uuid == created.uuid
            _assert_written(updated, changes, f"{contract_resource}.update")
            assert resource.get(created.uuid) == updated

        if spec.deletable:
            assert resource.delete(created.uuid) is None
            with pytest.raises(NotFound):
                resource.get(created.uuid)
            assert resource.get_many([created.uuid]) == {}

    @_needs("create")
    def test_lists_as_declared(
        self, contract_subject: Any, contract_resource: str, contract_samples: Samples
    ) -> None:
        """Pages honour the declared sizes; each declared filter selects, each declared
        ordering sorts and search finds."""
        spec, resource = self._spec(contract_resource), getattr(contract_subject, contract_resource)
        made = [contract_samples.create(contract_resource) for _ in range(3)]
        everything = resource.list(page_size=spec.max_page_size)
        assert set(made) <= set(everything.items) and everything.total == len(everything.items)
        total = everything.total

        default = resource.list()
        assert (default.page, default.page_size) == (1, spec.page_size)
        first, second = resource.list(page_size=2), resource.list(page=2, page_size=2)
        assert (len(first.items), first.total, first.has_next) == (2, total, True)
        assert len(second.items) == min(2, total - 2)
        assert not {i.uuid for i in first.items} & {i.uuid for i in second.items}

        for name in spec.filters:
            _check_filter(resource, spec, name, made)
        for key in spec.ordering:
            _check_ordering(resource, spec, key)
        if spec.search:
            _check_search(resource, spec, made[0])

    @_needs("any")
    def test_refuses_what_is_not_declared(
        self, contract_subject: Any, contract_resource: str, contract_samples: Samples
    ) -> None:
        """A missing UUID is NotFound; a malformed UUID, an undeclared filter or ordering, a
        page out of bounds, search where none is declared and an unknown field are refused
        naming what is wrong."""
        spec, resource = self._spec(contract_resource), getattr(contract_subject, contract_resource)
        missing = uuid.uuid4()
        with pytest.raises(NotFound):
            resource.get(missing)
        assert resource.get_many([missing]) == {}
        for call, field in _refusals(resource, spec):
            _assert_refused(call, field, contract_resource)
        assert resource.list(page_size=spec.max_page_size).page_size == spec.max_page_size
        if spec.update_fields:
            with pytest.raises(NotFound):
                resource.update(missing)
        if spec.deletable:
            with pytest.raises(NotFound):
                resource.delete(missing)
        if not spec.create_fields:
            return

        values = contract_samples.values(contract_resource)
        before = resource.list(page_size=1).total
        _assert_refused(
            lambda: resource.create(**values, **{UNDECLARED_FIELD: 1}),
            UNDECLARED_FIELD,
            contract_resource,
        )
        assert resource.list(page_size=1).total == before, "a refused create wrote something"
        if spec.update_fields:
            created = resource.create(**values)
            _assert_refused(
                lambda: resource.update(created.uuid, **{UNDECLARED_FIELD: 1}),
                UNDECLARED_FIELD,
                contract_resource,
            )
            assert resource.get(created.uuid) == created

    @_needs("comparison")
    def test_backends_answer_alike(
        self, request: pytest.FixtureRequest, contract_resource: str
    ) -> None:
        """The same questions get the same answers from every backend: data from the local
        implementation and the REST client (one database), errors from all of them."""
        self._configure(request)
        local = self._local()
        others: dict[str, Any] = {}
        if "rest" in self.backends:
            others["rest"] = request.getfixturevalue("serve_over_rest")(self.interface)
        if "fake" in self.backends:
            others["fake"] = self.make_fake()
        spec = self._spec(contract_resource)
        samples = Samples(self.samples, local, request)
        made = [samples.create(contract_resource) for _ in range(3)]

        data = dict(_data_questions(spec, made))
        errors = dict(_error_questions(spec, samples.values(contract_resource)))
        for backend, subject in others.items():
            questions = {**data, **errors} if backend == "rest" else errors
            for label, question in questions.items():
                ours = _answer(question, getattr(local, contract_resource))
                theirs = _answer(question, getattr(subject, contract_resource))
                assert theirs == ours, f"{backend} and local differ on {label}"

    def _spec(self, name: str) -> ResourceSpec[Any]:
        return self.interface.resources[name]


# -- the checks, one declaration fact each -----------------------------------------------------


def _assert_written(dto: Any, values: Mapping[str, Any], what: str) -> None:
    """Each written field the DTO carries reads back as written."""
    for name, value in values.items():
        if hasattr(dto, name):
            assert _same(getattr(dto, name), value), (
                f"{what}: {name} reads back as {getattr(dto, name)!r}, written {value!r}"
            )


def _same(read: Any, written: Any) -> bool:
    if isinstance(read, uuid.UUID) and isinstance(written, str):
        return str(read) == written.lower()
    return bool(read == written)


def _assert_refused(call: Callable[[], Any], field: str, resource: str) -> None:
    try:
        call()
    except ValidationFailed as exc:
        assert field in exc.errors, (
            f"{resource}: the error names {sorted(exc.errors)}, not {field!r}"
        )
    else:
        pytest.fail(f"{resource}: accepted what should be refused naming {field!r}")


def _undeclared(spec: ResourceSpec[Any], declared: Sequence[str], made_up: str) -> list[str]:
    """A made-up name, and the first DTO field that is not declared (if there is one)."""
    return [*[name for name in spec.field_types if name not in declared][:1], made_up]


def _refusals(resource: Any, spec: ResourceSpec[Any]) -> Iterator[tuple[Callable[[], Any], str]]:
    yield (lambda: resource.get("not-a-uuid")), "uuid"
    for name in _undeclared(spec, list(spec.filters), UNDECLARED_FILTER):
        yield functools.partial(resource.list, filters={name: "x"}), "filters"
    for key in _undeclared(spec, spec.ordering, UNDECLARED_ORDERING):
        yield functools.partial(resource.list, ordering=key), "ordering"
        yield functools.partial(resource.list, ordering=f"-{key}"), "ordering"
    yield functools.partial(resource.list, page_size=spec.max_page_size + 1), "page_size"
    yield functools.partial(resource.list, page_size=0), "page_size"
    yield functools.partial(resource.list, page=0), "page"
    if not spec.search:
        yield functools.partial(resource.list, search="x"), "search"


def _check_filter(resource: Any, spec: ResourceSpec[Any], name: str, made: list[Any]) -> None:
    values = [getattr(item, name) for item in made if getattr(item, name) is not None]
    if not values:
        pytest.fail(
            f"{spec.name}: every sample has {name}=None; give the declared filter a value "
            "in the samples so it can be checked"
        )
    one = values[0]
    page = resource.list(filters={name: one}, page_size=spec.max_page_size)
    assert {i for i in made if getattr(i, name) == one} <= set(page.items), f"filter {name}"
    assert all(getattr(i, name) == one for i in page.items), f"filter {name}={one!r}"
    several = list(dict.fromkeys(values))[:2]
    page = resource.list(filters={name: several}, page_size=spec.max_page_size)
    assert {i for i in made if getattr(i, name) in several} <= set(page.items), f"filter {name}"
    assert all(getattr(i, name) in several for i in page.items), f"filter {name} in {several}"


def _check_ordering(resource: Any, spec: ResourceSpec[Any], key: str) -> None:
    ascending = resource.list(ordering=key, page_size=spec.max_page_size).items
    descending = resource.list(ordering=f"-{key}", page_size=spec.max_page_size).items
    assert set(ascending) == set(descending), f"ordering {key}"
    if key not in spec.field_types:
        return  # an ordering on a stored field the DTO does not carry: accepted is all we see
    values = [getattr(item, key) for item in ascending]
    if None in values or len(set(map(repr, values))) < len(values):
        return  # ties and nulls sort as the database likes; only distinct values are checked
    assert [i.uuid for i in ascending] == [i.uuid for i in reversed(descending)], f"-{key}"
    if not isinstance(values[0], str):  # text follows the database's collation
        assert values == sorted(values), f"ordering {key}: {values}"


def _check_search(resource: Any, spec: ResourceSpec[Any], item: Any) -> None:
    terms = [getattr(item, name) for name in spec.search if hasattr(item, name)]
    term = next((str(t) for t in terms if t not in (None, "")), None)
    if term is not None:
        found = resource.list(search=term, page_size=spec.max_page_size)
        assert item in found.items, f"search {term!r} in {spec.search}"
    nothing = resource.list(search=f"no such text {uuid.uuid4().hex}")
    assert nothing.total == 0, "search for text nothing holds"


Question = Callable[[Any], Any]
"""A call to make on each backend's resource."""


def _ask(method: str, *args: Any, **kwargs: Any) -> Question:
    return lambda resource: getattr(resource, method)(*args, **kwargs)


def _data_questions(spec: ResourceSpec[Any], made: list[Any]) -> Iterator[tuple[str, Question]]:
    wanted = [made[0].uuid, made[1].uuid, uuid.uuid4()]
    yield "get", lambda r: r.get(made[0].uuid)
    yield "get_many", lambda r: r.get_many(wanted)
    yield "list", lambda r: r.list()
    yield "list page 2", lambda r: r.list(page=2, page_size=2)
    for key in spec.ordering:
        for order in (key, f"-{key}"):
            yield f"list ordering={order}", _ask("list", ordering=order)
    for name in spec.filters:
        yield f"list filter {name}", _ask("list", filters={name: getattr(made[0], name)})
    if spec.search:
        term = next((str(getattr(made[0], n)) for n in spec.search if hasattr(made[0], n)), "x")
        yield "search", lambda r: r.list(search=term)


def _error_questions(
    spec: ResourceSpec[Any], values: Mapping[str, Any]
) -> Iterator[tuple[str, Question]]:
    missing = uuid.uuid4()
    yield "get of a missing UUID", lambda r: r.get(missing)
    yield "get of a malformed UUID", lambda r: r.get("not-a-uuid")
    yield "an undeclared filter", lambda r: r.list(filters={UNDECLARED_FILTER: "x"})
    yield "an undeclared ordering", lambda r: r.list(ordering=UNDECLARED_ORDERING)
    yield "a page size over the maximum", lambda r: r.list(page_size=spec.max_page_size + 1)
    yield "page 0", lambda r: r.list(page=0)
    if spec.create_fields:
        yield "create with an unknown field", lambda r: r.create(**values, **{UNDECLARED_FIELD: 1})
    if spec.update_fields:
        yield "update of a missing UUID", lambda r: r.update(missing)
    if spec.deletable:
        yield "delete of a missing UUID", lambda r: r.delete(missing)


def _answer(question: Question, resource: Any) -> Any:
    """What a backend answers: the value, or the error's class and the fields it names."""
    try:
        return ("answer", question(resource))
    except ValidationFailed as exc:
        return ("ValidationFailed", sorted(exc.errors))
    except DomainError as exc:
        return (type(exc).__name__,)


__all__ = ["NOT_APPLICABLE", "InterfaceContract", "SampleContext", "Samples"]
