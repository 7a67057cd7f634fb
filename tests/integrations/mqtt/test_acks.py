"""Batched acknowledgements put on the wire exactly what paho's own `ack()` would."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from paho.mqtt.client import CallbackAPIVersion, Client
from paho.mqtt.enums import MQTTProtocolVersion

from domain_services.integrations.mqtt.acks import ack_in_order, puback_bytes

ACKS = [(1, 1), (2, 1), (65535, 1), (7, 2), (300, 1), (9, 1)]


def queued(client: Client) -> bytes:
    """What an unconnected client holds to send: its out queue, in order."""
    return b"".join(bytes(packet["packet"]) for packet in client._out_packet)


def paho_client(protocol: MQTTProtocolVersion) -> Client:
    return Client(CallbackAPIVersion.VERSION2, protocol=protocol, manual_ack=True)


@pytest.mark.parametrize("protocol", [MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311])
def test_the_bytes_queued_are_those_of_one_ack_call_per_message(
    protocol: MQTTProtocolVersion,
) -> None:
    one_by_one, batched = paho_client(protocol), paho_client(protocol)
    for mid, qos in ACKS:
        one_by_one.ack(mid, qos)
    ack_in_order(batched, ACKS)
    assert queued(batched) == queued(one_by_one)
    assert len(queued(batched)) == 4 * len(ACKS)  # a PUBCOMP is four bytes too


def test_each_run_of_qos1_acks_is_one_queued_packet() -> None:
    client = paho_client(MQTTProtocolVersion.MQTTv5)
    ack_in_order(client, ACKS)
    # [1, 2, 65535], the PUBCOMP for 7, [300, 9]
    assert [len(packet["packet"]) for packet in client._out_packet] == [12, 4, 8]


def test_an_acker_without_paho_s_queue_is_called_once_per_message_in_order() -> None:
    calls: list[tuple[int, int]] = []

    class Recorder:
        def ack(self, mid: int, qos: int) -> Any:
            calls.append((mid, qos))

    ack_in_order(Recorder(), ACKS)
    assert calls == ACKS


def test_puback_bytes() -> None:
    assert puback_bytes([1, 258]) == b"\x40\x02\x00\x01\x40\x02\x01\x02"
    assert puback_bytes([]) == b""


def test_a_client_without_manual_acks_gets_no_second_puback() -> None:
    # paho acked each message on receipt; queueing another PUBACK could ack a reused id.
    client = Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    ack_in_order(client, ACKS)
    assert queued(client) == b""


def test_a_stand_in_for_paho_s_client_is_called_per_message() -> None:
    acker = mock.Mock()
    ack_in_order(acker, ACKS)
    assert acker.ack.call_args_list == [mock.call(mid, qos) for mid, qos in ACKS]


def test_qos0_messages_are_not_acknowledged() -> None:
    client = paho_client(MQTTProtocolVersion.MQTTv5)
    ack_in_order(client, [(0, 0), (4, 1), (0, 0), (5, 1)])
    assert queued(client) == puback_bytes([4, 5])
    acker = mock.Mock()
    ack_in_order(acker, [(0, 0), (4, 1)])
    assert acker.ack.call_args_list == [mock.call(4, 1)]
