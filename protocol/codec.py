"""Bytes <-> models. Decoding never raises anything but :class:`ProtocolError`.

A ``ProtocolError`` carries a short ``reason`` code for dead-letter tables and metrics,
and a human ``detail``.
"""
from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from protocol import topics
from protocol.deliberation import DeliberationComment, DeliberationVote
from protocol.followup import FollowupAnswer
from protocol.messages import (
    DOWNLINK_BODIES,
    MAX_PAYLOAD_BYTES,
    SCHEMA_VERSION,
    CaseAction,
    DeviceStatus,
    DownlinkConfirm,
    DownlinkMessage,
    Heartbeat,
    HubStatus,
    IncidentReport,
    LookupRequest,
    PatrolLog,
    PhotoChunk,
    PositionFix,
    Receipt,
    ResidentCheckin,
)
from protocol.patrol import CheckpointVisit
from protocol.services import HomeVisit
from protocol.topics import Channel, ParsedTopic, TopicError, UplinkKind
from protocol.watch import HelperObservation

M = TypeVar("M", bound=BaseModel)

# Every uplink payload. Defined here, not in messages.py: the records of later modules (deliberation, follow-up)
# build on messages.py and join the union where all of them are imported.
UplinkMessage = (IncidentReport | ResidentCheckin | PositionFix | PhotoChunk | Heartbeat | DownlinkConfirm
                 | CaseAction | LookupRequest | PatrolLog | DeliberationComment | DeliberationVote | FollowupAnswer
                 | HelperObservation | HomeVisit | CheckpointVisit)

UPLINK_MODELS: dict[UplinkKind, type[UplinkMessage]] = {
    UplinkKind.REPORT: IncidentReport,
    UplinkKind.CHECKIN: ResidentCheckin,
    UplinkKind.POSITION: PositionFix,
    UplinkKind.PHOTO_CHUNK: PhotoChunk,
    UplinkKind.HEARTBEAT: Heartbeat,
    UplinkKind.CONFIRM: DownlinkConfirm,
    UplinkKind.ACTION: CaseAction,
    UplinkKind.LOOKUP: LookupRequest,
    UplinkKind.PATROL: PatrolLog,
    UplinkKind.COMMENT: DeliberationComment,
    UplinkKind.VOTE: DeliberationVote,
    UplinkKind.FOLLOWUP: FollowupAnswer,
    UplinkKind.OBSERVATION: HelperObservation,
    UplinkKind.CHECKPOINT: CheckpointVisit,
    UplinkKind.VISIT: HomeVisit,
}


class ProtocolError(ValueError):
    def __init__(self, reason: str, detail: str = "", device_id: str | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail[:500]
        self.device_id = device_id


def encode(message: BaseModel) -> bytes:
    """Compact UTF-8 JSON; the same model always encodes to the same bytes."""
    return message.model_dump_json(exclude_none=True).encode()


def uplink_kind_of(message: BaseModel) -> UplinkKind:
    for kind, model in UPLINK_MODELS.items():
        if type(message) is model:
            return kind
    raise TypeError(f"{type(message).__name__} is not an uplink message")


def uplink_topic_for(message: UplinkMessage) -> str:
    return topics.uplink(message.device_id, uplink_kind_of(message))


def _load(payload: bytes, device_id: str | None) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("payload_too_large", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}", device_id)
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("not_json", str(exc), device_id) from None
    if not isinstance(data, dict):
        raise ProtocolError("not_object", f"top-level JSON is {type(data).__name__}", device_id)
    version = data.get("v")
    if version != SCHEMA_VERSION:
        raise ProtocolError("unsupported_version", f"v={version!r}, this side speaks v={SCHEMA_VERSION}", device_id)
    return data


def decode(model: type[M], payload: bytes, device_id: str | None = None) -> M:
    """Validate ``payload`` as ``model``; ``device_id`` (from the topic) must match the payload's."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("payload_too_large", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}", device_id)
    try:
        # Fast path (one pass in pydantic-core): nearly every message on the wire is good.
        message = model.model_validate_json(payload)
    except ValidationError as exc:
        raise _diagnose(model, payload, device_id, exc) from None
    claimed = getattr(message, "device_id", device_id)
    if device_id is not None and claimed != device_id:
        raise ProtocolError("device_mismatch", f"topic says {device_id}, payload says {claimed}", device_id)
    return message


def _diagnose(model: type[BaseModel], payload: bytes, device_id: str | None, exc: ValidationError) -> ProtocolError:
    """Slow path for a payload that failed validation: name the rule it broke."""
    data = _load(payload, device_id)  # raises for size, JSON and version problems
    kind_field = model.model_fields.get("kind")
    if kind_field is not None and isinstance(kind_field.default, str) and data.get("kind") != kind_field.default:
        return ProtocolError("kind_mismatch", f"kind={data.get('kind')!r} on a {kind_field.default} topic", device_id)
    return ProtocolError("invalid", _first_error(exc), device_id)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(root)"
    return f"{where}: {first['msg']} ({exc.error_count()} error(s))"


def parse_topic(topic: str, channel: Channel | None = None) -> ParsedTopic:
    try:
        parsed = topics.parse(topic)
    except TopicError as exc:
        raise ProtocolError(exc.reason, topic[:200]) from None
    if channel is not None and parsed.channel is not channel:
        raise ProtocolError("wrong_channel", f"{topic} is not a {channel.value} topic", parsed.device_id)
    return parsed


def decode_uplink(topic: str, payload: bytes) -> tuple[ParsedTopic, UplinkMessage]:
    """What the hub calls for every message under ``gridline/v1/dev/+/up/+``."""
    parsed = parse_topic(topic, Channel.UPLINK)
    assert parsed.kind is not None
    return parsed, decode(UPLINK_MODELS[parsed.kind], payload, parsed.device_id)


def decode_status(topic: str, payload: bytes) -> DeviceStatus | HubStatus:
    parsed = parse_topic(topic, Channel.STATUS)
    if parsed.device_id is None:
        return decode(HubStatus, payload)
    return decode(DeviceStatus, payload, parsed.device_id)


def decode_receipt(topic: str, payload: bytes) -> Receipt:
    parsed = parse_topic(topic, Channel.RECEIPT)
    return decode(Receipt, payload, parsed.device_id)


def decode_downlink(topic: str, payload: bytes) -> DownlinkMessage:
    parsed = parse_topic(topic, Channel.DOWNLINK)
    return decode(DownlinkMessage, payload, parsed.device_id)


def downlink_body(message: DownlinkMessage) -> BaseModel | dict[str, Any]:
    """The typed body of a downlink (``TaskBody``, ``NoticeBody``); other kinds give their plain dict."""
    model = DOWNLINK_BODIES.get(message.kind)
    if model is None:
        return dict(message.body)
    try:
        return model.model_validate(message.body)
    except ValidationError as exc:
        raise ProtocolError("invalid", f"{message.kind} body: {_first_error(exc)}", message.device_id) from None
