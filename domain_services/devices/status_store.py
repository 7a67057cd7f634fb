"""The device status store: each device's latest reported status, one document per EUI.

```python
store = DeviceMongoDBService()
store.update("70B3D57ED0001234", timestamp=device_time, battery=87, readings={"t": 21.5})
status = store.get("70b3d57ed0001234")  # DeviceStatus(eui="70B3D57ED0001234", online=True, ...)
```

Stored as `{"_id": EUI, "timestamp": <device time>, "timestamp_ms": <the same, as integer epoch
milliseconds>, "updated_at": <store time>, **fields}`.

Last write wins by the device's own timestamp. An upsert filtered on
`{"_id": eui, "timestamp_ms": {"$lt": ms}}` updates a document only when what is stored is older;
when a newer (or equally new) one is stored the filter matches nothing, the upsert tries to
insert a second document with the same `_id`, and the server answers duplicate key (11000): that
update is stale and changes nothing. Two writers racing to create a device's first document can
also get 11000 for an update that is in fact newer, so an 11000 is retried once: by then the
document exists, and the retry either applies or is stale for real.

The comparison is on integer milliseconds rather than on the BSON datetime because integers
compare exactly on every server, while some wire-protocol servers do not: nx-27017 compares
datetimes to the second only and returns a datetime written by `$set` as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from domain_services.devices.device_time import MAX_CLOCK_SKEW, latest_device_time
from domain_services.devices.document_rules import current_rules
from domain_services.devices.eui import normalize_eui
from domain_services.errors import ValidationFailed
from domain_services.integrations.mongodb.errors import translate_errors
from domain_services.integrations.mongodb.service import BaseMongoDBService, BulkResult, Document
from domain_services.integrations.mongodb.settings import library_options

# Top-level names the store writes itself; a device cannot set them.
RESERVED_FIELDS = frozenset({"_id", "timestamp", "timestamp_ms", "updated_at"})
# Operators that run server-side JavaScript: never from a caller's query.
_FORBIDDEN_OPERATORS = frozenset({"$where", "$function", "$accumulator"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_MICROSECOND = timedelta(microseconds=1)


def _now() -> datetime:
    return _to_millis(datetime.now(UTC))


def _to_millis(moment: datetime) -> datetime:
    # BSON datetimes have millisecond precision: comparing at a finer one in Python would order
    # two updates differently from the server. (A subtraction costs a third of replace().)
    extra = moment.microsecond % 1000
    return moment - _MICROSECOND * extra if extra else moment


def epoch_millis(moment: datetime) -> int:
    """An aware datetime as integer milliseconds since the Unix epoch (the LWW ordering key)."""
    return (moment - _EPOCH) // _MILLISECOND


def device_timestamp(value: object, *, now: datetime | None = None) -> datetime:
    """A device time as an aware UTC datetime at millisecond precision, or `ValidationFailed`."""
    if not isinstance(value, datetime):
        raise ValidationFailed.for_field(
            "timestamp", f"must be a datetime, not {type(value).__name__}"
        )
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationFailed.for_field("timestamp", "must be timezone-aware (UTC)")
        value = value.astimezone(UTC)
    moment = _to_millis(value)
    if moment > (now + MAX_CLOCK_SKEW if now else latest_device_time()):
        raise ValidationFailed.for_field(
            "timestamp", "is more than a day in the future (device clock?)"
        )
    return moment


@dataclass(frozen=True, slots=True, init=False)
class StatusUpdate:
    """One validated status report: building one normalises the EUI and checks every field."""

    eui: str
    timestamp: datetime
    fields: MappingProxyType[str, Any]  # read-only; copy() gives a dict

    def __init__(self, eui: str, timestamp: datetime, fields: Mapping[str, Any]) -> None:
        # Valid by construction, so a batch never needs checking twice and nothing unchecked can
        # reach bulk_update. Each attribute is set once, already checked.
        checked_eui = normalize_eui(eui)
        checked_timestamp = device_timestamp(timestamp)
        current_rules().check(fields, reserved=RESERVED_FIELDS)
        object.__setattr__(self, "eui", checked_eui)
        object.__setattr__(self, "timestamp", checked_timestamp)
        object.__setattr__(self, "fields", MappingProxyType(dict(fields)))

    @classmethod
    def prechecked(cls, eui: str, timestamp: datetime, fields: dict[str, Any]) -> StatusUpdate:
        """An update built without checking, for a caller that has checked everything
        `__init__` would (`StatusDecoder`): a normalised `eui`, a UTC `timestamp` at millisecond
        precision no more than `MAX_CLOCK_SKEW` ahead, and `fields` within the document rules.
        `fields` is kept, not copied: the caller hands it over.
        """
        update = object.__new__(cls)
        # The slots' own setters: frozen dataclasses refuse setattr, and these skip its lookup.
        _set_eui(update, eui)
        _set_timestamp(update, timestamp)
        _set_fields(update, MappingProxyType(fields))
        return update


_set_eui, _set_timestamp, _set_fields = (
    vars(StatusUpdate)[name].__set__ for name in ("eui", "timestamp", "fields")
)


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's stored status, read back; `online` is derived from `updated_at`."""

    eui: str
    timestamp: datetime | None
    updated_at: datetime | None
    online: bool
    fields: Mapping[str, Any]


class DeviceMongoDBService(BaseMongoDBService):
    """Read and write device statuses, last write wins by the device's timestamp.

    `online_window` (seconds) defaults to `MONGODB['OPTIONS']['STATUS_ONLINE_WINDOW']` (300): a
    device is online when the store received its last applied report less than that long ago.
    `clock` returns the store's current time (tests pass a fixed one).
    """

    collection_name: ClassVar[str] = "device_status"

    def __init__(
        self,
        *,
        database: Database[Document] | None = None,
        online_window: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(database=database)
        if online_window is None:
            online_window = library_options()["status_online_window"]
        if online_window <= 0:
            raise ValueError("online_window must be positive")
        self.online_window = timedelta(seconds=online_window)
        self._clock = clock or _now

    # Reads

    def get(  # type: ignore[override]
        self,
        device_eui: object,
        extra_query_dict: Mapping[str, Any] | None = None,
        projection_dict: Mapping[str, Any] | None = None,
    ) -> DeviceStatus | None:
        """The status of one device, or None.

        `extra_query_dict` adds conditions (the device must also match them); it may not mention
        `_id`, since the EUI condition is not negotiable. `projection_dict` selects fields
        (`{"battery": 1}`); the timestamps are always read so that `online` is right.
        """
        eui = normalize_eui(device_eui, field="device_eui")
        query: dict[str, Any] = {"_id": eui}
        if extra_query_dict is not None:
            # $and: whatever the extra conditions say, the EUI condition must hold as well.
            query = {"$and": [query, _checked_query(extra_query_dict)]}
        projection = _checked_projection(projection_dict)
        with translate_errors(self._where):
            document = self.collection.find_one(query, projection)
        return None if document is None else self._status(document)

    def get_many(self, euis: Iterable[object]) -> dict[str, DeviceStatus]:
        """Statuses of several devices in one query, by normalised EUI (unknown ones left out)."""
        wanted = sorted({normalize_eui(eui, field="euis") for eui in euis})
        if not wanted:
            return {}
        with translate_errors(self._where):
            documents = list(self.collection.find({"_id": {"$in": wanted}}))
        return {str(doc["_id"]): self._status(doc) for doc in documents}

    # Writes

    def validate(
        self, eui: object, fields: Mapping[str, Any], *, timestamp: datetime | None = None
    ) -> StatusUpdate:
        """A checked `StatusUpdate` (default timestamp: now) for batching, or `ValidationFailed`."""
        return StatusUpdate(eui, timestamp or self._clock(), fields)  # type: ignore[arg-type]

    def update(self, device_eui: object, **fields: Any) -> bool:  # type: ignore[override]
        """Upsert one device's status; `timestamp=` is the device time (default: now).

        Returns False when the stored status is as new or newer (stale: nothing written).
        Raises `ValidationFailed` naming the offending field, writing nothing.
        """
        timestamp = fields.pop("timestamp", None)
        update = self.validate(device_eui, fields, timestamp=timestamp)
        with translate_errors(self._where):
            for _attempt in range(2):
                try:
                    self.collection.update_one(*self._upsert(update, self._clock()), upsert=True)
                    return True
                except DuplicateKeyError:
                    continue  # retried once: see the module docstring
        return False

    def bulk_update(self, updates: Sequence[StatusUpdate]) -> BulkResult:
        """Write a batch of updates as unordered bulk upserts, last write wins.

        Several updates for one device in a batch: only the newest is written, the others count
        as stale. `failures` is keyed by the index in `updates`. Raises `Unavailable` when
        MongoDB cannot be reached; the batch is idempotent, so the caller may retry all of it.
        """
        newest: dict[str, int] = {}
        for index, update in enumerate(updates):
            if type(update) is not StatusUpdate:
                raise TypeError(f"updates[{index}] is a {type(update).__name__}, not StatusUpdate")
            seen = newest.get(update.eui)
            if seen is None or update.timestamp > updates[seen].timestamp:
                newest[update.eui] = index
        positions = list(newest.values())
        collapsed = len(updates) - len(positions)
        now = self._clock()
        ops = [UpdateOne(*self._upsert(updates[i], now), upsert=True) for i in positions]
        first = self.bulk_upsert(ops)
        applied, stale, failures = first.applied, 0, dict(first.failures)
        if first.stale_indexes:
            retry = self.bulk_upsert([ops[i] for i in first.stale_indexes])
            applied += retry.applied
            stale = retry.stale
            failures.update(
                {first.stale_indexes[i]: message for i, message in retry.failures.items()}
            )
        return BulkResult(
            applied=applied,
            stale=stale + collapsed,
            failed=len(failures),
            failures=MappingProxyType({positions[i]: msg for i, msg in failures.items()}),
        )

    def delete(self, device_eui: object) -> bool:
        """Forget a device's status; True if there was one."""
        return super().delete(normalize_eui(device_eui, field="device_eui"))

    # Internals

    @staticmethod
    def _upsert(update: StatusUpdate, now: datetime) -> tuple[Document, Document]:
        timestamp = update.timestamp
        millis = epoch_millis(timestamp)
        document = update.fields.copy()  # the proxied dict's own copy(): no mapping protocol
        document["timestamp"] = timestamp
        document["timestamp_ms"] = millis
        document["updated_at"] = now
        return {"_id": update.eui, "timestamp_ms": {"$lt": millis}}, {"$set": document}

    def _status(self, document: Document) -> DeviceStatus:
        fields = _unflatten({k: v for k, v in document.items() if k not in RESERVED_FIELDS})
        timestamp = _as_datetime(document.get("timestamp"))
        updated_at = _as_datetime(document.get("updated_at"))
        online = updated_at is not None and self._clock() - updated_at < self.online_window
        return DeviceStatus(
            eui=str(document["_id"]),
            timestamp=timestamp,
            updated_at=updated_at,
            online=online,
            fields=MappingProxyType(fields),
        )


def _checked_query(query: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(query, Mapping):
        raise ValidationFailed.for_field(
            "extra_query_dict", f"must be a mapping, not {type(query).__name__}"
        )
    _check_query_keys(query, "extra_query_dict", 1)
    return dict(query)


def _check_query_keys(value: Any, path: str, depth: int) -> None:
    rules = current_rules()
    if depth > rules.max_depth:
        raise ValidationFailed.for_field(path, f"is nested deeper than {rules.max_depth} levels")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str or "\x00" in key:
                raise ValidationFailed.for_field(path, "keys must be strings without NUL")
            here = f"{path}.{key}"
            if key == "_id":
                raise ValidationFailed.for_field(here, "may not mention '_id'")
            if key in _FORBIDDEN_OPERATORS:
                raise ValidationFailed.for_field(here, "server-side JavaScript is not allowed")
            _check_query_keys(item, here, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_query_keys(item, f"{path}.{index}", depth + 1)


def _checked_projection(projection: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if projection is None:
        return None
    if not isinstance(projection, Mapping):
        raise ValidationFailed.for_field(
            "projection_dict", f"must be a mapping, not {type(projection).__name__}"
        )
    checked: dict[str, bool] = {}
    for key, flag in projection.items():
        if type(key) is not str or not key or key[0] == "$" or "\x00" in key:
            raise ValidationFailed.for_field(
                "projection_dict", f"{key!r} is not a field name or path"
            )
        if flag not in (0, 1) or not isinstance(flag, int):
            raise ValidationFailed.for_field(f"projection_dict.{key}", "must be 0/1 or a bool")
        checked[key] = bool(flag)
    modes = {flag for key, flag in checked.items() if key != "_id"}
    if len(modes) > 1:
        raise ValidationFailed.for_field(
            "projection_dict", "cannot mix included and excluded fields"
        )
    if True in modes:
        checked.update(timestamp=True, updated_at=True)
    else:
        # Excluding the timestamps would make every device look offline.
        checked.pop("timestamp", None)
        checked.pop("updated_at", None)
        checked["timestamp_ms"] = False
    checked.pop("_id", None)  # the EUI is always part of the status
    return checked or None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        # Some wire-protocol servers (nx-27017) return a datetime written by $set as text.
        try:
            return _as_datetime(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _unflatten(fields: dict[str, Any]) -> dict[str, Any]:
    # Stored names never contain '.', so a dotted key can only be a projected path returned flat
    # (nx-27017 does that); rebuild the nesting MongoDB itself returns.
    if not any("." in key for key in fields):
        return fields
    result: dict[str, Any] = {}
    for key, value in fields.items():
        target = result
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return result
