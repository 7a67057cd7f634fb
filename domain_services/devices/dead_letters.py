"""Dead letters: MQTT messages the ingestion consumer could not turn into a status update.

Each is kept with the reason, so an operator can see which devices send what and why it was
refused, until a TTL index removes it (`MQTT['CONSUMER']['DEAD_LETTER_TTL']`, 14 days by default).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from pymongo import DESCENDING, IndexModel, UpdateOne
from pymongo.database import Database

from domain_services import errors
from domain_services.integrations.mongodb import BaseMongoDBService
from domain_services.integrations.mongodb.errors import translate_errors
from domain_services.integrations.mongodb.indexes import ensure_indexes

DEFAULT_TTL_SECONDS = 14 * 86_400


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One refused message. `id` is made when it is refused, so a retried write is idempotent."""

    id: str
    topic: str
    payload_b64: str
    reason: str
    detail: str
    received_at: datetime
    eui: str | None = None
    client_id: str | None = None

    @classmethod
    def create(
        cls,
        *,
        topic: str,
        payload: bytes,
        reason: str,
        detail: str,
        eui: str | None = None,
        client_id: str | None = None,
        received_at: datetime | None = None,
    ) -> DeadLetter:
        return cls(
            id=uuid.uuid4().hex,
            topic=topic,
            payload_b64=base64.b64encode(payload).decode("ascii"),
            reason=reason,
            detail=detail[:500],
            received_at=received_at or datetime.now(UTC),
            eui=eui,
            client_id=client_id,
        )

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)


class DeadLetterStore(BaseMongoDBService):
    """The `device_dead_letters` collection, expiring by `received_at`."""

    collection_name = "device_dead_letters"
    indexes = (
        IndexModel("received_at", expireAfterSeconds=DEFAULT_TTL_SECONDS, name="received_at_ttl"),
        IndexModel([("reason", 1), ("received_at", DESCENDING)], name="reason_received_at"),
    )

    def __init__(
        self, *, database: Database[dict[str, Any]] | None = None, ttl_seconds: int | None = None
    ) -> None:
        super().__init__(database=database)
        self.ttl_seconds = ttl_seconds or configured_ttl()

    def index_models(self) -> list[IndexModel]:
        """The declared indexes with the configured TTL."""
        return [
            IndexModel("received_at", expireAfterSeconds=self.ttl_seconds, name="received_at_ttl"),
            *self.indexes[1:],
        ]

    def ensure_indexes(self) -> list[str]:
        """Create the indexes, with the TTL from `MQTT['CONSUMER']['DEAD_LETTER_TTL']`."""
        with translate_errors(self._where):
            return ensure_indexes(self.collection, self.index_models())

    def add_many(self, letters: Sequence[DeadLetter]) -> int:
        """Store dead letters (idempotent by id); returns how many there were."""
        if not letters:
            return 0
        ops = [
            UpdateOne({"_id": d.id}, {"$setOnInsert": _document(d)}, upsert=True) for d in letters
        ]
        result = self.bulk_upsert(ops)
        if result.failed:
            raise errors.DomainError(
                f"{result.failed} dead letters were refused: {next(iter(result.failures.values()))}"
            )
        return len(letters)

    def recent(self, *, reason: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters, optionally of one reason."""
        query = {"reason": reason} if reason else {}
        docs = self.find(query, sort=[("received_at", DESCENDING)], limit=limit)
        return [_letter(doc) for doc in docs]


def configured_ttl() -> int:
    """`MQTT['CONSUMER']['DEAD_LETTER_TTL']`, read leniently: the store must work (for the admin,
    `ensure_indexes`) in a project that does not configure MQTT at all."""
    mqtt = getattr(settings, "MQTT", None) or {}
    ttl = (mqtt.get("CONSUMER") or {}).get("DEAD_LETTER_TTL", DEFAULT_TTL_SECONDS)
    return (
        ttl
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl > 0
        else DEFAULT_TTL_SECONDS
    )


def _document(letter: DeadLetter) -> dict[str, Any]:
    return {
        "topic": letter.topic,
        "payload_b64": letter.payload_b64,
        "reason": letter.reason,
        "detail": letter.detail,
        "received_at": letter.received_at,
        "eui": letter.eui,
        "client_id": letter.client_id,
    }


def _letter(doc: dict[str, Any]) -> DeadLetter:
    received_at = doc["received_at"]
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return DeadLetter(
        id=str(doc["_id"]),
        topic=doc["topic"],
        payload_b64=doc["payload_b64"],
        reason=doc["reason"],
        detail=doc.get("detail", ""),
        received_at=received_at,
        eui=doc.get("eui"),
        client_id=doc.get("client_id"),
    )
