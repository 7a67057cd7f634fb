"""The fleet simulator on its own: exact EUIs, a bounded receipt window, stopping on SIGTERM."""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from paho.mqtt.client import CallbackAPIVersion, Client, MQTTMessage

from domain_services.integrations.mqtt import config_from_url
from domain_services.testing.mqtt import MosquittoBroker
from tests.devices.mqtt_harness import wait_for

SIMULATOR = Path(__file__).resolve().parents[2] / "integrations/fleet_simulator/simulate.py"
EUIS = ["70B3D57ED0000001", "70B3D57ED00000AA", "0004A30B001C0530"]


def load_simulator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fleet_simulate", SIMULATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Listener:
    """A bare subscriber that records the topic of every status message."""

    def __init__(self, url: str) -> None:
        config = config_from_url(url)
        self.topics: list[str] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=f"listen-{uuid.uuid4().hex}")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.connect(config.host, config.port)
        self.client.subscribe("devices/+/status", qos=1)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the listener never subscribed"

    def _on_message(self, client: Client, userdata: object, message: MQTTMessage) -> None:
        with self._lock:
            self.topics.append(message.topic)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_simulator(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SIMULATOR), "--url", url, "--no-progress", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_euis_accepts_a_list_or_a_file_and_normalises_it(tmp_path: Path) -> None:
    simulate = load_simulator()
    assert simulate.parse_euis("70b3d57ed0000001, 70B3D57ED0000001,0004a30b001c0530") == [
        "70B3D57ED0000001",
        "0004A30B001C0530",
    ]
    listing = tmp_path / "euis.txt"
    listing.write_text("\n".join(EUIS) + "\n\n")
    assert simulate.parse_euis(f"@{listing}") == EUIS
    for bad, reason in [
        ("70B3D57ED000001", "not a 16-hex-digit EUI"),
        ("70B3D57ED000000G", "not a 16-hex-digit EUI"),
        (" , ", "no EUI given"),
        (f"@{tmp_path / 'missing.txt'}", "cannot read"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=reason):
            simulate.parse_euis(bad)


@pytest.mark.broker
def test_only_the_given_euis_publish_through_a_small_window(mosquitto: MosquittoBroker) -> None:
    listener = Listener(mosquitto.url)
    try:
        simulator = run_simulator(
            mosquitto.url, "--euis", ",".join(EUIS), "--count", "900", "--rate", "0"
        )
        out, err = simulator.communicate(timeout=60)
        assert simulator.returncode == 0, err
        assert "sent=900 " in out and "unconfirmed=0" in out
        wait_for(lambda: len(listener.topics) >= 900, message="900 statuses at the listener")
    finally:
        listener.close()
    by_eui = {topic.split("/")[1] for topic in listener.topics}
    assert by_eui == set(EUIS)
    assert len(listener.topics) == 900


class CountingClient:
    """Stands in for paho: counts receipts handed out and not yet awaited."""

    def __init__(self) -> None:
        self.outstanding = 0
        self.most_outstanding = 0
        self.published = 0

    def publish(self, topic: str, payload: bytes, qos: int) -> CountingReceipt:
        self.published += 1
        self.outstanding += 1
        self.most_outstanding = max(self.most_outstanding, self.outstanding)
        return CountingReceipt(self)

    def disconnect(self) -> None:
        pass

    def loop_stop(self) -> None:
        pass


class CountingReceipt:
    def __init__(self, client: CountingClient) -> None:
        self.client = client

    def wait_for_publish(self, timeout: float) -> None:
        self.client.outstanding -= 1

    def is_published(self) -> bool:
        return True


def test_window_bounds_the_receipts_held(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    simulate = load_simulator()
    client = CountingClient()
    monkeypatch.setattr(simulate, "connect", lambda url: client)
    code = simulate.main(["--count", "5000", "--rate", "0", "--window", "25", "--no-progress"])
    assert code == 0
    assert client.published == 5000 and client.outstanding == 0
    assert client.most_outstanding == 26  # the window, plus the one that made it overflow
    assert "sent=5000 " in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "handler left behind"


@pytest.mark.broker
def test_a_small_window_still_confirms_every_message(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    report = tmp_path / "sent.json"
    simulator = run_simulator(
        mosquitto.url, "--count", "2000", "--rate", "0", "--window", "7", "--report", str(report)
    )
    _, err = simulator.communicate(timeout=60)
    assert simulator.returncode == 0, err
    sent = json.loads(report.read_text())
    assert sent["sent"] == 2000 and sent["unconfirmed"] == 0


@pytest.mark.broker
def test_duration_zero_runs_until_sigterm_then_reports(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    report = tmp_path / "sent.json"
    listener = Listener(mosquitto.url)
    try:
        # 2 messages per second: a stop must not wait out the pacing sleep.
        simulator = run_simulator(
            mosquitto.url, "--duration", "0", "--rate", "2", "--report", str(report)
        )
        wait_for(lambda: len(listener.topics) >= 2, message="the first statuses")
        stopped_at = time.monotonic()
        simulator.send_signal(signal.SIGTERM)
        out, err = simulator.communicate(timeout=30)
        took = time.monotonic() - stopped_at
    finally:
        listener.close()
    assert simulator.returncode == 0, err
    assert took < 5, f"SIGTERM took {took:.1f}s to be answered"
    sent = json.loads(report.read_text())
    assert sent["sent"] >= 2 and sent["unconfirmed"] == 0
    assert f"sent={sent['sent']} " in out
