"""Every MQTT topic Gridline uses: built and parsed here and nowhere else.

Scheme (``v1`` is the topic-scheme version, independent of payload schema versions)::

    gridline/v1/dev/{device_id}/up/{kind}    device -> hub   records, case actions, photo chunks, heartbeats, confirmations
    gridline/v1/dev/{device_id}/receipt      hub -> device   ids the hub has committed
    gridline/v1/dev/{device_id}/down         hub -> device   downlink messages (tasks, notices)
    gridline/v1/dev/{device_id}/status       device, retained, with an "offline" last will
    gridline/v1/hub/status                   hub, retained, with an "offline" last will

Per-device topics let a broker ACL pin each device to its own subtree (``%c`` patterns).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

ROOT = "gridline/v1"
DEVICE_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{2,63}"
_DEVICE_ID_RE = re.compile(rf"^{DEVICE_ID_PATTERN}$")


class UplinkKind(str, Enum):
    """What a device publishes under ``up/``; one payload model per kind."""

    REPORT = "report"
    CHECKIN = "checkin"
    POSITION = "position"
    PHOTO_CHUNK = "photo"
    HEARTBEAT = "heartbeat"
    CONFIRM = "confirm"
    ACTION = "action"


class Channel(str, Enum):
    UPLINK = "up"
    RECEIPT = "receipt"
    DOWNLINK = "down"
    STATUS = "status"


class TopicError(ValueError):
    """A topic outside the scheme; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, topic: str):
        super().__init__(f"{reason}: {topic!r}")
        self.reason = reason
        self.topic = topic


@dataclass(frozen=True)
class ParsedTopic:
    device_id: str | None  # None for the hub's own status topic
    channel: Channel
    kind: UplinkKind | None = None  # set for uplinks only


def valid_device_id(device_id: str) -> bool:
    return bool(_DEVICE_ID_RE.match(device_id))


def _device(device_id: str) -> str:
    if not valid_device_id(device_id):
        raise TopicError("bad_device_id", device_id)
    return f"{ROOT}/dev/{device_id}"


def uplink(device_id: str, kind: UplinkKind) -> str:
    return f"{_device(device_id)}/up/{UplinkKind(kind).value}"


def receipt(device_id: str) -> str:
    return f"{_device(device_id)}/receipt"


def downlink(device_id: str) -> str:
    return f"{_device(device_id)}/down"


def device_status(device_id: str) -> str:
    return f"{_device(device_id)}/status"


def hub_status() -> str:
    return f"{ROOT}/hub/status"


# Subscription filters. The hub reads every uplink and status; a device only its own inbound topics.
def all_uplinks_filter() -> str:
    return f"{ROOT}/dev/+/up/+"


def all_device_status_filter() -> str:
    return f"{ROOT}/dev/+/status"


def shared(filter_: str, group: str) -> str:
    """An MQTT 5 shared subscription, so several hub workers split the uplink stream."""
    if not re.match(r"^[A-Za-z0-9_-]+$", group):
        raise ValueError(f"bad shared-subscription group {group!r}")
    return f"$share/{group}/{filter_}"


def device_subscriptions(device_id: str) -> list[str]:
    """What a device subscribes to: its receipts, its downlink and the hub's presence."""
    return [receipt(device_id), downlink(device_id), hub_status()]


_DEVICE_TOPIC_RE = re.compile(rf"^{re.escape(ROOT)}/dev/([^/]*)/(receipt|down|status|up/([^/]*))$")
_CHANNELS = {"receipt": Channel.RECEIPT, "down": Channel.DOWNLINK, "status": Channel.STATUS}
_KINDS = {k.value: k for k in UplinkKind}


def parse(topic: str) -> ParsedTopic:
    """Parse any Gridline topic; raises :class:`TopicError` for anything else. On the hub's hot path."""
    match = _DEVICE_TOPIC_RE.match(topic)
    if match is None:
        if topic == hub_status():
            return ParsedTopic(None, Channel.STATUS)
        prefix = f"{ROOT}/dev/"
        if topic.startswith(prefix) and not valid_device_id(topic[len(prefix):].split("/")[0]):
            raise TopicError("bad_device_id", topic)
        raise TopicError("unknown_topic", topic)
    device_id, channel, kind = match.groups()
    if not valid_device_id(device_id):
        raise TopicError("bad_device_id", topic)
    if kind is None:
        return ParsedTopic(device_id, _CHANNELS[channel])
    if kind not in _KINDS:
        raise TopicError("unknown_kind", topic)
    return ParsedTopic(device_id, Channel.UPLINK, _KINDS[kind])


def all_topic_templates() -> list[str]:
    """Every concrete topic shape, with ``{device_id}`` placeholders (docs are tested against this)."""
    dev = f"{ROOT}/dev/{{device_id}}"
    return [f"{dev}/up/{k.value}" for k in UplinkKind] + [
        f"{dev}/receipt",
        f"{dev}/down",
        f"{dev}/status",
        hub_status(),
    ]
