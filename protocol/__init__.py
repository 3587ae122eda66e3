"""The one shared definition of Gridline's MQTT topics and message schemas. Pure: no I/O."""
from protocol import labels, topics
from protocol.codec import UPLINK_MODELS, ProtocolError, decode, decode_downlink, decode_receipt, decode_status, decode_uplink, downlink_body, encode, parse_topic, uplink_kind_of, uplink_topic_for
from protocol.broker_url import AUTH_FAILURES, BrokerAddress, parse_broker_url
from protocol.ids import is_uuid7, uuid7, uuid7_unix_ms
from protocol.messages import *  # noqa: F403 - the models are the package's public surface
from protocol.topics import Channel, ParsedTopic, TopicError, UplinkKind

__all__ = [name for name in dir() if not name.startswith("_")]
