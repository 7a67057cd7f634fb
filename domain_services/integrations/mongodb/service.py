"""`BaseMongoDBService`: one MongoDB collection behind a small, typed, error-translated API.

```python
class AuditLog(BaseMongoDBService):
    collection_name = "audit_log"
    indexes = (IndexModel("created_at", expireAfterSeconds=30 * 86400),)
```

Every subclass that names a collection is registered, so `manage.py ensure_indexes` can create
the declared indexes of all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from pymongo import IndexModel, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from domain_services.integrations.mongodb.client import get_client, get_database
from domain_services.integrations.mongodb.errors import DUPLICATE_KEY, translate_errors, unavailable
from domain_services.integrations.mongodb.indexes import ensure_indexes

Document = dict[str, Any]
Projection = Mapping[str, Any] | Sequence[str]
Sort = Sequence[tuple[str, int]]

_REGISTRY: dict[str, type[BaseMongoDBService]] = {}


def registered_services() -> list[type[BaseMongoDBService]]:
    """Every service class that declares a `collection_name`, in definition order."""
    return list(_REGISTRY.values())


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What an unordered bulk write did: each operation is applied, stale or failed."""

    applied: int = 0
    stale: int = 0
    failed: int = 0
    # Index of the operation in the caller's sequence -> the server's message.
    failures: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))
    # Indexes of the stale operations, for a caller that retries or reports them.
    stale_indexes: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return self.applied + self.stale + self.failed


class BaseMongoDBService:
    """Access to one collection: reads, upserts, bulk upserts, deletes, counts, health and indexes.

    Subclasses set `collection_name` and may declare `indexes`. Pass `database` to use a given
    pymongo `Database` (tests, several databases); otherwise the one from `MONGODB` is used.
    Driver errors come out as `Unavailable` (connection or timeout), `Conflict` (duplicate key)
    or another `DomainError`.
    """

    collection_name: ClassVar[str]
    indexes: ClassVar[Sequence[IndexModel]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("collection_name")
        if name:
            # Keyed by module and name so a re-imported module replaces its own entry.
            _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def __init__(self, *, database: Database[Document] | None = None) -> None:
        if not getattr(self, "collection_name", None):
            raise TypeError(f"{type(self).__name__} must set collection_name")
        self._database = database
        self._collection: Collection[Document] | None = None
        self._client: MongoClient[Document] | None = None

    @property
    def collection(self) -> Collection[Document]:
        """The pymongo collection (re-resolved after a fork or a client reset)."""
        if self._database is not None:
            if self._collection is None:
                self._collection = self._database[self.collection_name]
            return self._collection
        client = get_client()
        if self._collection is None or client is not self._client:
            self._collection = get_database()[self.collection_name]
            self._client = client
        return self._collection

    def _where(self) -> str:
        # The server's host:port list for error messages; never the URL, which may hold a password.
        try:
            client = self.collection.database.client
            addresses = client.topology_description.server_descriptions()
        except Exception:  # fakes such as mongomock have no topology; a message must not fail
            return "MongoDB"
        return ",".join(f"{host}:{port}" for host, port in addresses) or "MongoDB"

    def get(self, id: Any, *, projection: Projection | None = None) -> Document | None:
        """The document with `_id == id`, or None."""
        with translate_errors(self._where):
            return self.collection.find_one({"_id": id}, projection)

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        projection: Projection | None = None,
        sort: Sort | None = None,
        limit: int = 0,
        skip: int = 0,
    ) -> list[Document]:
        """The documents matching `filter` (a trusted, server-side filter), as a list."""
        with translate_errors(self._where):
            cursor = self.collection.find(
                dict(filter or {}), projection, sort=list(sort) if sort else None
            )
            return list(cursor.skip(skip).limit(limit))

    def update(self, id: Any, set_fields: Mapping[str, Any], *, upsert: bool = True) -> bool:
        """`$set` fields on one document (made when `upsert`); True if one matched or was made."""
        with translate_errors(self._where):
            result = self.collection.update_one({"_id": id}, {"$set": dict(set_fields)}, upsert)
        return bool(result.matched_count or result.upserted_id is not None)

    def bulk_upsert(self, ops: Sequence[UpdateOne]) -> BulkResult:
        """Run `UpdateOne` operations as one unordered `bulk_write`.

        A duplicate-key answer to an upsert means its filter's guard (e.g. "stored timestamp is
        older") did not match an existing document: the operation is counted as stale. Other
        per-operation errors are failed, with the server's message in `failures`. Connection
        problems raise `Unavailable`: the whole batch may be retried when the operations are
        idempotent.
        """
        if not ops:
            return BulkResult()
        errors: list[Mapping[str, Any]] = []
        with translate_errors(self._where):
            try:
                self.collection.bulk_write(list(ops), ordered=False)
            except BulkWriteError as exc:
                details = exc.details or {}
                if details.get("writeConcernErrors"):
                    # The writes may not be durable; the caller retries the idempotent batch.
                    raise unavailable(self._where(), exc) from exc
                errors = details.get("writeErrors") or []
        stale: list[int] = []
        failures: dict[int, str] = {}
        for error in errors:
            if error.get("code") == DUPLICATE_KEY:
                stale.append(int(error["index"]))
            else:
                failures[int(error["index"])] = str(error.get("errmsg", "write error"))
        return BulkResult(
            applied=len(ops) - len(errors),
            stale=len(stale),
            failed=len(failures),
            failures=MappingProxyType(failures),
            stale_indexes=tuple(sorted(stale)),
        )

    def delete(self, id: Any) -> bool:
        """Delete the document with `_id == id`; True if there was one."""
        with translate_errors(self._where):
            return self.collection.delete_one({"_id": id}).deleted_count > 0

    def count(self, filter: Mapping[str, Any] | None = None) -> int:
        """How many documents match `filter` (all when None)."""
        with translate_errors(self._where):
            return self.collection.count_documents(dict(filter or {}))

    def ping(self) -> None:
        """Check the server answers; raises `Unavailable` otherwise (for `/health`)."""
        with translate_errors(self._where):
            self.collection.database.command("ping")

    def ensure_indexes(self) -> list[str]:
        """Create the declared `indexes` (idempotent); returns the index names."""
        with translate_errors(self._where):
            return ensure_indexes(self.collection, self.indexes)
