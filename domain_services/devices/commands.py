"""Commands to devices: JSON on `devices/<EUI>/commands`, QoS 1, confirmed by the broker.

```python
commands = DeviceCommandService()
sent = commands.send(eui="70b3d57ed0001234", command="reboot", args={"delay": 5})
sent.command_id  # the id the device echoes (and deduplicates on: QoS 1 is at least once)
```

The body is `{"command_id": "<uuid>", "command": "reboot", "args": {...}, "sent_at": "<ISO 8601>"}`.
`send` returns once the broker has acknowledged the publish (PUBACK); `Unavailable` means it did
not within `MQTT['PUBLISH_TIMEOUT']`, and the caller should tell the user the command may not
have been sent.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from domain_services import errors
from domain_services.devices.command_log import CommandLog, check_key, fingerprint
from domain_services.devices.eui import normalize_eui
from domain_services.integrations.mqtt.client import BaseMQTTService
from domain_services.integrations.mqtt.settings import MQTTConfig, load_config

COMMAND_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
MAX_ARGS_BYTES = 4096


def command_topic(eui: str) -> str:
    """The topic a device subscribes to for its commands."""
    return f"devices/{eui}/commands"


@dataclass(frozen=True, slots=True)
class CommandSent:
    """A command the broker has accepted for one device."""

    command_id: str
    eui: str
    command: str
    args: Mapping[str, Any]
    topic: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class CommandBatch:
    """The outcome of sending one command to several devices: what was sent, what failed why."""

    sent: tuple[CommandSent, ...] = ()
    failed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def ok(self) -> bool:
        return not self.failed


class DeviceCommandService:
    """Publish commands to devices through one lazily opened broker connection per instance.

    The connection uses a unique client id with a clean session: command publishers run in
    every web process, and two connections sharing an id would disconnect each other.
    """

    def __init__(
        self,
        *,
        config: MQTTConfig | None = None,
        mqtt: BaseMQTTService | None = None,
        log: CommandLog | None = None,
    ) -> None:
        self._config = config
        self._mqtt = mqtt
        self._log = log
        self._lock = threading.Lock()

    def _connection(self) -> BaseMQTTService:
        with self._lock:
            if self._mqtt is None:
                config = self._config or load_config()
                prefix = config.client_id or "domain-services"
                self._mqtt = BaseMQTTService(
                    config, client_id=f"{prefix}-commands-{uuid.uuid4().hex[:12]}"
                )
            if not self._mqtt.is_connected:
                self._mqtt.connect()
            return self._mqtt

    def send(
        self,
        *,
        eui: str,
        command: str,
        args: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> CommandSent:
        """Publish `command` to one device; raise ValidationFailed (bad input) or Unavailable.

        Everything is validated before anything is published. With `idempotency_key`, a
        retry of the same request returns the first `CommandSent` instead of publishing again
        (see `command_log`); the key needs MongoDB (`MONGODB`).
        """
        device = normalize_eui(eui)
        body = _body(command, args)
        if idempotency_key is None:
            return self._publish(device, body, str(uuid.uuid4()))
        key = check_key(idempotency_key)
        log = self._command_log()
        claim = log.claim(
            eui=device,
            key=key,
            fingerprint=fingerprint(device, body["command"], body["args"]),
            command_id=str(uuid.uuid4()),
        )
        if claim.sent is not None:
            return _sent_from_json(claim.sent)
        try:
            sent = self._publish(device, body, claim.command_id)
        except errors.DomainError:
            log.failed(eui=device, key=key)
            raise
        log.sent(eui=device, key=key, result=_sent_to_json(sent))
        return sent

    def _publish(self, eui: str, body: Mapping[str, Any], command_id: str) -> CommandSent:
        mqtt = self._connection()
        sent_at = datetime.now(UTC)
        topic = command_topic(eui)
        payload = {"command_id": command_id, **body, "sent_at": sent_at.isoformat()}
        mqtt.publish(topic, payload, qos=1)
        return CommandSent(
            command_id=command_id,
            eui=eui,
            command=body["command"],
            args=MappingProxyType(body["args"]),
            topic=topic,
            sent_at=sent_at,
        )

    def _command_log(self) -> CommandLog:
        with self._lock:
            if self._log is None:
                self._log = CommandLog()
            return self._log

    def send_many(
        self, *, euis: Iterable[str], command: str, args: Mapping[str, Any] | None = None
    ) -> CommandBatch:
        """Send one command to each device; failures are reported per EUI, not raised.

        An invalid command raises ValidationFailed before anything is sent.
        """
        _body(command, args)
        sent: list[CommandSent] = []
        failed: dict[str, str] = {}
        for eui in euis:
            try:
                sent.append(self.send(eui=eui, command=command, args=args))
            except errors.DomainError as exc:
                failed[str(eui)] = exc.message
        return CommandBatch(sent=tuple(sent), failed=MappingProxyType(failed))

    def close(self) -> None:
        """Disconnect from the broker (the next send reconnects)."""
        with self._lock:
            if self._mqtt is not None:
                self._mqtt.close()


def _body(command: str, args: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(command, str) or not COMMAND_NAME.fullmatch(command):
        raise errors.ValidationFailed.for_field(
            "command", "must be a name of 1 to 64 letters, digits, '_', '.', '-'"
        )
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise errors.ValidationFailed.for_field("args", "must be a JSON object")
    try:
        encoded = json.dumps(dict(args), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise errors.ValidationFailed.for_field(
            "args", f"must be JSON-serialisable: {exc}"
        ) from None
    unencodable = _unencodable_path(args)
    if unencodable is not None:
        raise errors.ValidationFailed.for_field(
            ".".join(["args", *unencodable]),
            "must be valid Unicode text (a lone surrogate such as \\ud800 is not)",
        )
    if len(encoded) > MAX_ARGS_BYTES:
        raise errors.ValidationFailed.for_field(
            "args", f"must encode to at most {MAX_ARGS_BYTES} bytes"
        )
    return {"command": command, "args": json.loads(encoded)}


def _unencodable_path(value: Any, path: tuple[str, ...] = ()) -> list[str] | None:
    """Where in `value` a string cannot be encoded as UTF-8 (a lone surrogate), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return list(path)
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key).encode("utf-8", "backslashreplace").decode("ascii", "replace")
            if isinstance(key, str) and _unencodable_path(key) is not None:
                return [*path, name]
            found = _unencodable_path(item, (*path, name))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _unencodable_path(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def _sent_to_json(sent: CommandSent) -> str:
    return json.dumps(
        {
            "command_id": sent.command_id,
            "eui": sent.eui,
            "command": sent.command,
            "args": dict(sent.args),
            "topic": sent.topic,
            "sent_at": sent.sent_at.isoformat(),
        }
    )


def _sent_from_json(text: str) -> CommandSent:
    data = json.loads(text)
    return CommandSent(
        command_id=data["command_id"],
        eui=data["eui"],
        command=data["command"],
        args=MappingProxyType(data["args"]),
        topic=data["topic"],
        sent_at=datetime.fromisoformat(data["sent_at"]),
    )
