"""Creating a collection's declared indexes, safely run again and again.

`createIndexes` is already a no-op for an index that exists with the same options. Changing the
TTL of a declared index is the one edit worth automating (it is a `collMod`, no rebuild); any
other difference between what is declared and what exists is reported as a `Conflict` instead
of silently dropping an index a running system depends on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import IndexModel
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from domain_services.errors import Conflict

INDEX_OPTIONS_CONFLICT = 85
INDEX_KEY_SPECS_CONFLICT = 86


def ensure_indexes(collection: Collection[Any], indexes: Sequence[IndexModel]) -> list[str]:
    """Create each declared index of `collection`, updating a changed TTL; returns their names."""
    names: list[str] = []
    for index in indexes:
        spec = index.document
        try:
            names.extend(collection.create_indexes([index]))
        except OperationFailure as exc:
            if exc.code not in (INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT):
                raise
            if "expireAfterSeconds" not in spec:
                raise _conflict(collection, spec) from exc
            try:
                collection.database.command(
                    "collMod",
                    collection.name,
                    index={
                        "keyPattern": dict(spec["key"]),
                        "expireAfterSeconds": spec["expireAfterSeconds"],
                    },
                )
            except OperationFailure as mod_exc:
                raise _conflict(collection, spec) from mod_exc
            names.append(str(spec["name"]))
    return names


def _conflict(collection: Collection[Any], spec: dict[str, Any]) -> Conflict:
    return Conflict(
        f"Index {spec['name']!r} on {collection.full_name} exists with other options than "
        f"declared; drop it (db.{collection.name}.dropIndex({spec['name']!r})) and run "
        "ensure_indexes again.",
        collection=collection.full_name,
        index=spec["name"],
    )
