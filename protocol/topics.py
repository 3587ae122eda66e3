"""Every MQTT topic Gridline uses: built and parsed here and nowhere else.

Scheme (``v1`` is the topic-scheme version, independent of payload schema versions)::

    gridline/v1/dev/{device_id}/up/{kind}    device -> hub   records, case actions, photo chunks, heartbeats,
                                                             confirmations
    gridline/v1/dev/{device_id}/receipt      hub -> device   ids the hub has committed
    gridline/v1/dev/{device_id}/down         hub -> device   downlink messages (tasks, notices)
    gridline/v1/dev/{device_id}/status       device, retained, with an "offline" last will
    gridline/v1/hub/status                   hub, retained, with an "offline" last will

Per-device topics let a broker ACL pin each device to its own subtree (``%u`` patterns: :func:`acl_patterns`).
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
    LOOKUP = "lookup"  # a kiosk asks for a case's progress (查进度); answered by a downlink of kind lookup
    PATROL = "patrol"  # a tablet's finished patrol: span, distance, positions recorded
    COMMENT = "comment"  # 议事: a resident's comment on a deliberation topic (protocol/deliberation.py)
    VOTE = "vote"  # 议事: a resident's vote; the hub counts one per card and topic
    FOLLOWUP = "followup"  # a resident's 回访 answer at a kiosk (protocol/followup.py FollowupAnswer)
    OBSERVATION = "observation"  # 1+1+N: a helper's 平安 / 异常 for a watched resident (protocol/watch.py)
    CHECKPOINT = "checkpoint"  # 巡查点: a patrol's checkpoint scan and checklist (protocol/patrol.py CheckpointVisit)
    VISIT = "visit"  # 入户走访: a grid worker's home visit with its needs (protocol/services.py HomeVisit)


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


ACCOUNT = "%u"  # Mosquitto's ACL pattern token: the connecting account (= client id = device id at Gridline)


@dataclass(frozen=True)
class AclRule:
    """One broker ACL line as data: ``access`` is ``read``, ``write`` or ``readwrite``; ``filter`` may hold MQTT
    wildcards and, in a device rule, :data:`ACCOUNT` where the device's own id goes."""

    access: str
    filter: str


@dataclass(frozen=True)
class AclPatterns:
    hub: tuple[AclRule, ...]  # the hub's account only
    device: tuple[AclRule, ...]  # every account (patterns): each device its own subtree


def acl_patterns() -> AclPatterns:
    """Who may publish and subscribe where: the hub reads every uplink and device status, writes every receipt
    and downlink and its own status; a device writes only its own uplinks and status and reads only its own
    receipts, downlink and the hub's status. ``hub/devices/mosquitto_auth.py`` writes Mosquitto's ACL file from
    this; docs/security.md shows that file (tests/protocol/test_security_doc.py keeps them equal)."""
    dev = f"{ROOT}/dev"
    own = f"{dev}/{ACCOUNT}"
    return AclPatterns(
        hub=(AclRule("read", all_uplinks_filter()),
             AclRule("read", all_device_status_filter()),
             AclRule("write", f"{dev}/+/{Channel.RECEIPT.value}"),
             AclRule("write", f"{dev}/+/{Channel.DOWNLINK.value}"),
             AclRule("readwrite", hub_status())),
        device=(AclRule("write", f"{own}/{Channel.UPLINK.value}/+"),
                AclRule("write", f"{own}/{Channel.STATUS.value}"),
                AclRule("read", f"{own}/{Channel.RECEIPT.value}"),
                AclRule("read", f"{own}/{Channel.DOWNLINK.value}"),
                AclRule("read", hub_status())),
    )


_DEV_PREFIX = f"{ROOT}/dev/"
_DEV_PREFIX_LEN = len(_DEV_PREFIX)
_KINDS = {k.value: k for k in UplinkKind}


def uplink_parts(topic: str) -> tuple[str, str] | None:
    """``(device_id, kind)`` of a topic *shaped* like an uplink, ``gridline/v1/dev/{device_id}/up/{kind}``; None
    for any other topic (status, receipt, downlink, malformed, foreign).

    The per-message fast path (the hub's rate limiter runs it on paho's network thread for every message): one
    partition at the last ``/up/`` and three C-level string tests, no regex, no split. Neither part is validated:
    the device id may be one :func:`valid_device_id` refuses (even empty) and the kind one :func:`uplink_kind` does
    not know. Callers that act on them check what they need (the limiter validates an id once, before giving it a
    bucket); :func:`parse` is the full check, with reason codes."""
    head, up, kind = topic.rpartition("/up/")
    if not up or "/" in kind or not head.startswith(_DEV_PREFIX):
        return None
    device_id = head[_DEV_PREFIX_LEN:]
    return None if "/" in device_id else (device_id, kind)


def uplink_kind(kind: str) -> UplinkKind | None:
    """The :class:`UplinkKind` named ``kind`` (an :func:`uplink_parts` kind), None for an unknown one."""
    return _KINDS.get(kind)


def device_in_topic(topic: str) -> str | None:
    """The device a ``gridline/v1/dev/{device_id}/...`` topic names when that id is valid, whatever follows it
    (even nothing, or a channel the scheme does not have); None otherwise. For the dead-letter path: the
    best-effort sender of a topic :func:`parse` refused, so operators can find a misbehaving device."""
    if not topic.startswith(_DEV_PREFIX):
        return None
    device_id = topic[_DEV_PREFIX_LEN:].partition("/")[0]
    return device_id if valid_device_id(device_id) else None


_DEVICE_TOPIC_RE = re.compile(rf"^{re.escape(ROOT)}/dev/([^/]*)/(receipt|down|status|up/([^/]*))$")
_CHANNELS = {"receipt": Channel.RECEIPT, "down": Channel.DOWNLINK, "status": Channel.STATUS}


def parse(topic: str) -> ParsedTopic:
    """Parse any Gridline topic; raises :class:`TopicError` for anything else. On the hub's hot path."""
    match = _DEVICE_TOPIC_RE.match(topic)
    if match is None:
        if topic == hub_status():
            return ParsedTopic(None, Channel.STATUS)
        if topic.startswith(_DEV_PREFIX) and device_in_topic(topic) is None:
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
