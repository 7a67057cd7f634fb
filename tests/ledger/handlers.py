"""The ledger's event handler."""

from __future__ import annotations

from domain_services import ValidationFailed
from domain_services.events import ObjectCreated
from tests.ledger.models import Effect


def record_effect(event: ObjectCreated) -> None:
    """Write one Effect row; an entry whose data says `"invalid": true` is refused."""
    if (event.data or {}).get("invalid"):
        raise ValidationFailed.for_field("data", "This entry is marked invalid.")
    if (event.data or {}).get("boom"):
        raise RuntimeError("a handler bug")
    Effect.objects.create(event_id=event.id, entry=event.uuid, sequence=event.sequence)
