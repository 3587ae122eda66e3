"""The one shared definition of Gridline's MQTT topics and message schemas. Pure: no I/O."""
from . import topics
from .codec import (
    UPLINK_MODELS,
    ProtocolError,
    decode,
    decode_downlink,
    decode_receipt,
    decode_status,
    decode_uplink,
    downlink_body,
    encode,
    parse_topic,
    uplink_kind_of,
    uplink_topic_for,
)
from .broker_url import BrokerAddress, parse_broker_url
from .ids import is_uuid7, uuid7, uuid7_unix_ms
from .messages import *  # noqa: F403 - the models are the package's public surface
from .topics import Channel, ParsedTopic, TopicError, UplinkKind

__all__ = [name for name in dir() if not name.startswith("_")]
