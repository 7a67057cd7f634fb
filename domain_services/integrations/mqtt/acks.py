"""Acknowledging a batch of received QoS 1 messages in one write.

paho's `Client.ack(mid, 1)` queues one 4-byte PUBACK per call and, in threaded mode, writes a
byte to its wake-up socket each time, so that its network thread leaves `select()` and sends
that one packet with its own `send()`: three system calls and a thread switch per message. A
consumer that acks a batch at once (after writing it) can hand paho all its PUBACKs as one
queued packet instead: the bytes on the wire are the same (`0x40 0x02 <mid>` each, valid in
MQTT 3.1.1 and 5, where a success PUBACK may omit its reason code), and the broker reads them
as the separate packets they are.

This uses paho's packet queue (`Client._packet_queue`, unchanged from paho 1.x to 2.x) for a paho
client made with `manual_ack=True`; any other acker is called one message at a time through
`ack()`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, Protocol

from paho.mqtt.client import PUBACK, Client

_PUBACK = struct.Struct("!BBH")  # type, remaining length 2, packet id


def puback_bytes(mids: Sequence[int]) -> bytes:
    """The PUBACK packets acknowledging `mids`, in order, as one byte string."""
    pack = _PUBACK.pack
    return b"".join([pack(PUBACK, 2, mid) for mid in mids])


class Acker(Protocol):
    """What acknowledges a received message: a paho `Client` made with `manual_ack=True`."""

    def ack(self, mid: int, qos: int) -> Any: ...


def ack_in_order(client: Acker, acks: Sequence[tuple[int, int]]) -> None:
    """Acknowledge `(mid, qos)` pairs in order, each run of QoS 1 ones as one queued packet.

    QoS 0 pairs are skipped: nothing acknowledges them (their id is 0, and a PUBACK for it is a
    protocol error the broker disconnects for). Ids must come from the current connection.

    With a paho client made with `manual_ack=True` that is one wake-up of its network thread
    per run instead of one per message. Anything else (QoS 2, another acker) goes through
    `ack()`.
    """
    if not (isinstance(client, Client) and client._manual_ack):
        # paho's ack() sends nothing without manual acks (paho acked already); a fake is
        # called as it expects.
        for mid, qos in acks:
            if qos:
                client.ack(mid, qos)
        return
    queue = client._packet_queue
    run: list[int] = []
    for mid, qos in acks:
        if qos == 1:
            run.append(mid)
            continue
        if not qos:
            continue
        if run:
            queue(PUBACK, puback_bytes(run), 0, 0)
            run = []
        client.ack(mid, qos)
    if run:
        queue(PUBACK, puback_bytes(run), 0, 0)
