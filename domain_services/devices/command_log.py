"""Idempotency keys for device commands: a retried request is not published twice.

A client that sends a command with an idempotency key (the HTTP `Idempotency-Key` header) and
retries it after a timeout gets the first result back instead of a second publish. Each key is a
MongoDB document `{_id: "<EUI>:<key>"}` claimed with one atomic insert before the publish:

- `pending`: a request holds it and is publishing; a concurrent retry is a 409 (retry later);
  a claim older than `stale_after` seconds (its process died mid-publish) is taken over.
- `sent`: the broker confirmed; every retry returns the stored `CommandSent`.
- `failed`: the broker did not confirm; a retry publishes again with the SAME command id, so a
  device that got the first copy after all deduplicates it (QoS 1 is at least once anyway).

The key is bound to what was asked (device, command, args): reusing it for another command is a
400. Keys expire after `DEFAULT_TTL_SECONDS` (a TTL index; `manage.py ensure_indexes`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from domain_services import errors
from domain_services.integrations.mongodb import BaseMongoDBService
from domain_services.integrations.mongodb.errors import translate_errors

DEFAULT_TTL_SECONDS = 86_400
MAX_KEY_LENGTH = 200


def check_key(key: object, *, field: str = "idempotency_key") -> str:
    """`key` if it is a usable idempotency key (1-200 printable ASCII characters, no spaces)."""
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= MAX_KEY_LENGTH
        or not key.isascii()
        or not key.isprintable()
        or " " in key
    ):
        raise errors.ValidationFailed.for_field(
            field, f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces."
        )
    return key


def fingerprint(eui: str, command: str, args: Any) -> str:
    """What a key is bound to: the same device, command and args give the same fingerprint."""
    canonical = json.dumps([eui, command, args], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming a key: publish with `command_id`, or return `sent` as it is."""

    command_id: str
    sent: str | None = None  # the stored result (JSON) when the command went out already


class CommandLog(BaseMongoDBService):
    """The `device_commands` collection: one document per (device, idempotency key)."""

    collection_name = "device_commands"
    indexes = (IndexModel("created_at", expireAfterSeconds=DEFAULT_TTL_SECONDS),)

    def __init__(self, *, stale_after: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stale_after = stale_after

    def claim(self, *, eui: str, key: str, fingerprint: str, command_id: str) -> Claim:
        """Reserve `key` for this publish, or say what an earlier request with it did."""
        now = datetime.now(UTC)
        doc_id = f"{eui}:{key}"
        with translate_errors(self._where):
            try:
                self.collection.insert_one(
                    {
                        "_id": doc_id,
                        "fingerprint": fingerprint,
                        "command_id": command_id,
                        "state": "pending",
                        "claimed_at": now,
                        "created_at": now,
                    }
                )
                return Claim(command_id)
            except DuplicateKeyError:
                pass
            existing = self.collection.find_one({"_id": doc_id}) or {}
            if existing.get("fingerprint") != fingerprint:
                raise errors.ValidationFailed.for_field(
                    "idempotency_key",
                    "This key was already used for a different command to this device.",
                )
            if existing.get("state") == "sent":
                return Claim(existing["command_id"], sent=existing["sent"])
            # Failed, or pending for too long: take it over, keeping its command id.
            taken = self.collection.find_one_and_update(
                {
                    "_id": doc_id,
                    "$or": [
                        {"state": "failed"},
                        {"claimed_at": {"$lt": now - timedelta(seconds=self.stale_after)}},
                    ],
                },
                {"$set": {"state": "pending", "claimed_at": now}},
                return_document=ReturnDocument.AFTER,
            )
        if taken is None:
            raise errors.Conflict(
                "A request with this idempotency key is still being sent; retry in a moment.",
                retry_after=1,
            )
        return Claim(taken["command_id"])

    def sent(self, *, eui: str, key: str, result: str) -> None:
        """Record the confirmed result (JSON text, so it comes back exactly as it went in)."""
        with translate_errors(self._where):
            self.collection.update_one(
                {"_id": f"{eui}:{key}"}, {"$set": {"state": "sent", "sent": result}}
            )

    def failed(self, *, eui: str, key: str) -> None:
        """The broker did not confirm: a retry with the key may publish again."""
        with translate_errors(self._where):
            self.collection.update_one({"_id": f"{eui}:{key}"}, {"$set": {"state": "failed"}})
