"""A paho-mqtt 2.x client configured from settings, and the base MQTT service built on it.

`create_client` + `connect_properties` are the one place where settings become a paho client
(protocol, TLS, credentials, persistent session), shared by the base service and the ingestion
consumer, which drives its own network loop.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from paho.mqtt.client import (
    CallbackAPIVersion,
    Client,
    ConnectFlags,
    DisconnectFlags,
    MQTTMessage,
    MQTTMessageInfo,
)
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from domain_services import errors

from .router import TopicRouter
from .settings import MQTTConfig, load_config

logger = logging.getLogger(__name__)

NOT_AUTHORIZED = 135  # MQTT 5 reason code a broker's ACL answers with

if TYPE_CHECKING:  # a TypeVar default (PEP 696) needs typing_extensions before Python 3.13
    from typing_extensions import TypeVar

    C = TypeVar("C", bound=Client, default=Client)


def create_client(
    config: MQTTConfig,
    *,
    client_id: str | None = None,
    persistent: bool = False,
    manual_ack: bool = False,
    client_class: type[C] = Client,  # type: ignore[assignment]  # C is Client when omitted
) -> C:
    """A paho client (callback API version 2) for `config`, not yet connected.

    `persistent=True` asks the broker to keep the session (subscriptions and unacked QoS 1
    messages) across disconnects, which needs a stable client id. `client_class` is `Client`
    or a subclass of it (`DirectClient`).
    """
    client_id = client_id or config.client_id or ""
    if persistent and not client_id:
        raise errors.ValidationFailed.for_field(
            "client_id", "A persistent session needs a stable client id."
        )
    protocol = MQTTProtocolVersion.MQTTv5 if config.is_v5 else MQTTProtocolVersion.MQTTv311
    kwargs: dict[str, Any] = {}
    if not config.is_v5:
        # MQTT 3.1.1 asks for a persistent session in the client, MQTT 5 in connect().
        kwargs["clean_session"] = not persistent
    client = client_class(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        manual_ack=manual_ack,
        **kwargs,
    )
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls is not None:
        client.tls_set(ca_certs=config.tls.ca, certfile=config.tls.cert, keyfile=config.tls.key)
        client.tls_insecure_set(config.tls.insecure)
    client.reconnect_delay_set(
        min_delay=max(1, round(config.reconnect_min_delay)),
        max_delay=max(1, round(config.reconnect_max_delay)),
    )
    return client


def connect_properties(
    config: MQTTConfig, *, persistent: bool, receive_maximum: int | None = None
) -> Properties | None:
    """MQTT 5 CONNECT properties (None for 3.1.1).

    paho never sets SessionExpiryInterval by itself, and without it `clean_start=False` still
    loses the session at the first disconnect, so a persistent client must send it.
    """
    if not config.is_v5:
        return None
    properties = Properties(PacketTypes.CONNECT)
    if persistent:
        properties.SessionExpiryInterval = config.session_expiry
    if receive_maximum:
        properties.ReceiveMaximum = receive_maximum
    return properties


def connect_async(
    client: Client,
    config: MQTTConfig,
    *,
    persistent: bool,
    receive_maximum: int | None = None,
    blocking: bool = False,
) -> None:
    """Start connecting `client` (or connect now when `blocking`); paho keeps these arguments
    for every `reconnect()`."""
    kwargs: dict[str, Any] = {}
    if config.is_v5:
        kwargs["clean_start"] = not persistent
        kwargs["properties"] = connect_properties(
            config, persistent=persistent, receive_maximum=receive_maximum
        )
    connect = client.connect if blocking else client.connect_async
    connect(config.host, config.port, config.keepalive, **kwargs)


def encode_payload(payload: bytes | str | Mapping[str, Any]) -> bytes:
    """Bytes as they are, text as UTF-8, a mapping as compact JSON."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


class BaseMQTTService:
    """One broker connection with a background network loop: publish, subscribe, route.

    paho reconnects with exponential backoff (`RECONNECT_MIN_DELAY`..`RECONNECT_MAX_DELAY`)
    and the service subscribes again after every reconnect. Handlers come from `router`; an
    exception in one is logged, never allowed to stop paho's loop thread.

    ```python
    with BaseMQTTService() as mqtt:
        mqtt.publish("devices/0011223344556677/commands", {"command": "reboot"}, qos=1)
    ```
    """

    router: ClassVar[TopicRouter | None] = None

    def __init__(
        self,
        config: MQTTConfig | None = None,
        *,
        client_id: str | None = None,
        router: TopicRouter | None = None,
    ) -> None:
        self.config = config or load_config()
        self._router = router or type(self).router or TopicRouter()
        self._client = create_client(self.config, client_id=client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._subscriptions: dict[str, int] = {}
        self._refused: dict[int, ReasonCode] = {}
        self._connect_error: str | None = None
        self._started = False

    @property
    def client(self) -> Client:
        """The underlying paho client, for what this class does not wrap."""
        return self._client

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def connect(self, *, timeout: float | None = None) -> None:
        """Connect and start the network loop; raise Unavailable if the broker does not accept
        the connection within `timeout` (default `CONNECT_TIMEOUT`)."""
        if not self._started:
            connect_async(self._client, self.config, persistent=False)
            self._client.loop_start()
            self._started = True
        if not self._connected.wait(timeout or self.config.connect_timeout):
            reason = self._connect_error or "no answer"
            self.close()
            raise errors.Unavailable(
                f"MQTT broker {self.config.url} did not accept the connection ({reason}).",
                broker=self.config.url,
            )

    def close(self) -> None:
        """Disconnect and stop the network loop (safe to call twice)."""
        if self._started:
            self._client.disconnect()
            self._client.loop_stop()
            self._started = False
        self._connected.clear()

    def __enter__(self) -> BaseMQTTService:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def publish(
        self,
        topic: str,
        payload: bytes | str | Mapping[str, Any],
        *,
        qos: int = 1,
        retain: bool = False,
        timeout: float | None = None,
    ) -> int:
        """Publish and, for QoS 1/2, wait until the broker confirms; return the message id.

        Raises Unavailable when not connected or not confirmed within `timeout` (default
        `PUBLISH_TIMEOUT`), PermissionDenied when the broker's ACL refuses it (MQTT 5).
        An unconfirmed QoS 1 message may still reach the broker later (at least once), so
        payloads should carry an id receivers can deduplicate on.
        """
        if not self._connected.is_set():
            raise errors.Unavailable(
                f"Not connected to MQTT broker {self.config.url}.", topic=topic
            )
        info: MQTTMessageInfo = self._client.publish(
            topic, encode_payload(payload), qos=qos, retain=retain
        )
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise errors.Unavailable(
                f"MQTT publish to {topic!r} failed: {info.rc.name}.", topic=topic
            )
        if qos == 0:
            return info.mid
        info.wait_for_publish(timeout or self.config.publish_timeout)
        if not info.is_published():
            raise errors.Unavailable(
                f"MQTT broker {self.config.url} did not confirm the publish to {topic!r} in time.",
                topic=topic,
            )
        with self._lock:
            refused = self._refused.pop(info.mid, None)
        if refused is not None:
            error = (
                errors.PermissionDenied if refused.value == NOT_AUTHORIZED else errors.Unavailable
            )
            raise error(f"MQTT broker refused the publish to {topic!r}: {refused}.", topic=topic)
        return info.mid

    def subscribe(self, topic_filter: str, *, qos: int = 1) -> None:
        """Subscribe now (if connected) and again after every reconnect."""
        with self._lock:
            self._subscriptions[topic_filter] = qos
        if self._connected.is_set():
            self._client.subscribe(topic_filter, qos)

    def subscribe_routes(self, *, group: str | None = None) -> None:
        """Subscribe to every route of the router, optionally as a shared-subscription member."""
        for topic_filter, qos in self._router.subscriptions(group=group):
            self.subscribe(topic_filter, qos=qos)

    def handle_message(self, message: MQTTMessage) -> None:
        """Dispatch one received message to its route; override for other behaviour."""
        found = self._router.match(message.topic)
        if found is None:
            logger.warning("No route for MQTT topic %r; message dropped.", message.topic)
            return
        handler, params = found
        handler(params, bytes(message.payload))

    # paho callbacks: they run on paho's loop thread and must never raise.

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._connect_error = str(reason_code)
            logger.error("MQTT broker %s refused the connection: %s", self.config.url, reason_code)
            return
        with self._lock:
            subscriptions = list(self._subscriptions.items())
        if subscriptions:
            client.subscribe(subscriptions)
        self._connected.set()
        logger.info("Connected to MQTT broker %s.", self.config.url)

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        if self._started:
            logger.warning("Disconnected from MQTT broker %s: %s", self.config.url, reason_code)

    def _on_publish(
        self,
        client: Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            with self._lock:
                self._refused[mid] = reason_code

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        try:
            self.handle_message(message)
        except Exception:
            # An exception escaping here would kill paho's loop thread while the client still
            # reports itself connected.
            logger.exception("MQTT handler failed for topic %r.", message.topic)
