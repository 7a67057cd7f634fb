"""MQTT integration: settings, a base service around paho-mqtt 2.x, and a topic router."""

from __future__ import annotations

from domain_services._optional import require_extra

require_extra("paho.mqtt", extra="mqtt")

from .client import BaseMQTTService, connect_properties, create_client  # noqa: E402
from .router import TopicRouter  # noqa: E402
from .settings import ConsumerConfig, MQTTConfig, TLSConfig, config_from_url, load_config  # noqa: E402

__all__ = [
    "BaseMQTTService",
    "ConsumerConfig",
    "MQTTConfig",
    "TLSConfig",
    "TopicRouter",
    "config_from_url",
    "connect_properties",
    "create_client",
    "load_config",
]
