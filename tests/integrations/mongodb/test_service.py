"""BaseMongoDBService: the same behaviour on the fake and over the wire protocol."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.database import Database

from domain_services.errors import Conflict
from domain_services.integrations.mongodb import BaseMongoDBService, registered_services


class Things(BaseMongoDBService):
    collection_name = "things"
    indexes: ClassVar[list[IndexModel]] = [
        IndexModel([("kind", ASCENDING), ("rank", ASCENDING)], name="kind_rank"),
        IndexModel("seen_at", name="seen_ttl", expireAfterSeconds=3600),
    ]


@pytest.fixture
def things(any_mongo_database: Database[Any]) -> Things:
    service = Things(database=any_mongo_database)
    service.collection.insert_many(
        [
            {"_id": i, "kind": "odd" if i % 2 else "even", "rank": i, "meta": {"fw": i}}
            for i in range(6)
        ]
    )
    return service


def test_a_subclass_with_a_collection_is_registered_and_one_without_is_not() -> None:
    class Abstract(BaseMongoDBService):
        pass

    assert Things in registered_services()
    assert Abstract not in registered_services()


def test_a_service_without_a_collection_cannot_be_built() -> None:
    with pytest.raises(TypeError, match="collection_name"):
        BaseMongoDBService()


def test_get_returns_the_document_or_none(things: Things) -> None:
    assert things.get(3) == {"_id": 3, "kind": "odd", "rank": 3, "meta": {"fw": 3}}
    assert things.get(99) is None


def test_get_applies_a_projection(things: Things) -> None:
    assert things.get(2, projection={"rank": 1}) == {"_id": 2, "rank": 2}
    assert things.get(2, projection={"_id": 0, "kind": 1}) == {"kind": "even"}


def test_find_filters_sorts_skips_and_limits(things: Things) -> None:
    found = things.find(
        {"kind": "odd"}, projection={"rank": 1}, sort=[("rank", -1)], skip=1, limit=1
    )

    assert found == [{"_id": 3, "rank": 3}]
    assert len(things.find()) == 6


def test_update_sets_fields_and_keeps_the_others(things: Things) -> None:
    assert things.update(1, {"rank": 10, "new": "x"}) is True

    assert things.get(1) == {"_id": 1, "kind": "odd", "rank": 10, "meta": {"fw": 1}, "new": "x"}


def test_update_upserts_unless_told_not_to(things: Things) -> None:
    assert things.update(50, {"kind": "new"}, upsert=False) is False
    assert things.get(50) is None

    assert things.update(50, {"kind": "new"}) is True
    assert things.get(50) == {"_id": 50, "kind": "new"}


def test_bulk_upsert_counts_applied_and_stale(things: Things) -> None:
    ops = [
        UpdateOne({"_id": 1, "rank": {"$lt": 5}}, {"$set": {"rank": 5}}, upsert=True),  # applied
        UpdateOne({"_id": 2, "rank": {"$lt": 1}}, {"$set": {"rank": 1}}, upsert=True),  # stale
        UpdateOne({"_id": 70, "rank": {"$lt": 1}}, {"$set": {"rank": 1}}, upsert=True),  # new
    ]

    result = things.bulk_upsert(ops)

    assert (result.applied, result.stale, result.failed) == (2, 1, 0)
    assert result.total == 3
    assert things.get(1, projection={"rank": 1}) == {"_id": 1, "rank": 5}
    assert things.get(2, projection={"rank": 1}) == {"_id": 2, "rank": 2}
    assert things.get(70) == {"_id": 70, "rank": 1}


def test_bulk_upsert_of_nothing_does_nothing(things: Things) -> None:
    assert things.bulk_upsert([]).total == 0


def test_delete_reports_whether_there_was_a_document(things: Things) -> None:
    assert things.delete(4) is True
    assert things.delete(4) is False
    assert things.get(4) is None


def test_count_with_and_without_filter(things: Things) -> None:
    assert things.count() == 6
    assert things.count({"kind": "even"}) == 3


def test_ping_succeeds_when_the_server_answers(things: Things) -> None:
    things.ping()


def test_a_duplicate_insert_is_a_conflict(things: Things) -> None:
    from domain_services.integrations.mongodb.errors import translate_errors

    with pytest.raises(Conflict), translate_errors():
        things.collection.insert_one({"_id": 1})


def test_ensure_indexes_creates_the_declared_indexes_including_ttl(things: Things) -> None:
    things.ensure_indexes()
    things.ensure_indexes()  # idempotent

    info = things.collection.index_information()
    keys = {tuple(spec["key"]): spec for spec in info.values()}
    assert (("kind", 1), ("rank", 1)) in keys
    assert keys[(("seen_at", 1),)]["expireAfterSeconds"] == 3600
    assert len(info) == 3  # _id plus the two declared, not duplicated by the second run


def test_a_service_without_indexes_creates_none(any_mongo_database: Database[Any]) -> None:
    class Plain(BaseMongoDBService):
        collection_name = "plain"

    assert Plain(database=any_mongo_database).ensure_indexes() == []
