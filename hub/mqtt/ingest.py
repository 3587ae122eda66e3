"""From raw MQTT messages to stored facts: decode every message, dead-letter what can't be accepted,
store the rest in one batch. Plain functions of (messages, store): no MQTT here.

Nothing in here raises on bad input. A message that even breaks the database (a poison message)
is isolated and dead-lettered so the traffic behind it still gets stored.

A message the bridge found over its device's rate limit (``RawMessage.retry_after_s``, ``hub/mqtt/uplink_limit.py``)
is neither stored nor dead-lettered: it becomes a ``Deferral`` in the device's receipt, costing a regex match
(or a JSON parse) to find what it names and no database work.
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.store import BatchItem, BatchResult, DeadLetter, HubStore, Inbound, PresenceUpdate
from hub.store.engine import is_transient
from protocol import (
    MAX_PAYLOAD_BYTES,
    UPLINK_MODELS,
    Channel,
    ChunkAck,
    Deferral,
    DeviceStatus,
    HubStatus,
    PhotoChunk,
    ProtocolError,
    UplinkKind,
    decode,
    decode_status,
    is_uuid7,
    parse_topic,
    topics,
)

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
# How protocol.encode lays out what a terminal sends (fields in model order): the id, or a chunk's sha256 and
# index, come first. Anything else takes the JSON path.
_RECORD_AS_ENCODED = re.compile(rb'\{"v":1,"id":"([0-9a-f-]{36})"')
_AS_ENCODED = {
    **dict.fromkeys(UplinkKind, _RECORD_AS_ENCODED),
    UplinkKind.PHOTO_CHUNK: re.compile(rb'\{"v":1,"kind":"photo","device_id":"[^"]{1,64}","sha256":"([0-9a-f]{64})",'
                                       rb'"index":(\d{1,9})[,}]'),
    UplinkKind.CONFIRM: re.compile(rb'\{"v":1,"kind":"confirm","device_id":"[^"]{1,64}",'
                                   rb'"message_id":"([0-9a-f-]{36})"'),
}
MAX_RETRY_AFTER_S = Deferral.model_fields["retry_after_s"].metadata[-1].le


@dataclass(frozen=True, slots=True)
class RawMessage:
    """Exactly what came off the wire, stamped with the hub's clock on arrival."""

    topic: str
    payload: bytes
    received_at: datetime
    retry_after_s: float | None = None  # set on arrival when over the device's rate limit: defer, don't store


def _check_semantics(inbound: Inbound) -> None:
    """Rules the schema alone can't express."""
    m = inbound.message
    if isinstance(m, PhotoChunk) and m.index >= m.count:
        raise ProtocolError("invalid", f"chunk index {m.index} >= count {m.count}", m.device_id)


def decode_message(raw: RawMessage) -> BatchItem | None:
    """One raw message -> an :class:`Inbound`, a :class:`PresenceUpdate` or a :class:`DeadLetter`.

    ``None`` only for messages that are not for ingest at all (the hub's own status echo).
    """
    device_id = None
    try:
        parsed = parse_topic(raw.topic)
        device_id = parsed.device_id
        if parsed.channel is Channel.UPLINK:
            assert parsed.kind is not None  # an uplink topic always names its kind
            message = decode(UPLINK_MODELS[parsed.kind], raw.payload, device_id)  # topic parsed once, above
            inbound = Inbound(raw.topic, raw.payload, raw.received_at, message)
            _check_semantics(inbound)
            return inbound
        if parsed.channel is Channel.STATUS:
            status = decode_status(raw.topic, raw.payload)
            if isinstance(status, HubStatus):
                return None
            assert isinstance(status, DeviceStatus)
            return PresenceUpdate(status.device_id, status.state, raw.received_at, status.app_version)
        raise ProtocolError("wrong_channel", f"hub does not ingest {parsed.channel.value} topics", device_id)
    except ProtocolError as exc:
        return DeadLetter(raw.topic, raw.payload, raw.received_at, exc.reason, exc.detail,
                          exc.device_id or device_id or topics.device_in_topic(raw.topic))
    except Exception as exc:
        log.exception("unexpected error decoding %s", raw.topic[:200])
        return DeadLetter(raw.topic, raw.payload, raw.received_at, "decode_error",
                          f"{type(exc).__name__}: {exc}", device_id)


def decode_batch(raws: Sequence[RawMessage]) -> list[BatchItem]:
    return [item for item in map(decode_message, raws) if item is not None]


def ingest_items(items: Sequence[BatchItem], store: HubStore) -> BatchResult:
    """Store decoded items in one transaction; on a non-transient failure, store them one by one and
    dead-letter the ones the database refuses. Transient failures propagate: the caller retries."""
    try:
        return store.store_batch(items)
    except Exception as exc:
        if is_transient(exc):
            raise
        log.warning("batch of %d failed (%s); isolating the poison message", len(items), exc)
    result = BatchResult()
    for item in items:
        try:
            result.merge(store.store_batch([item]))
            continue
        except Exception as exc:
            if is_transient(exc):
                raise
            failure = exc
        log.error("message on %s refused by the database: %s", getattr(item, "topic", "?"), failure,
                  extra={"device_id": getattr(item, "device_id", None)})
        if isinstance(item, DeadLetter):
            # Already a rejected message and still unstorable: the log line is its last trace. Blocking
            # every device behind it would be worse.
            log.error("dropping unstorable dead letter %r", item)
            continue
        result.merge(store.store_batch([_as_dead_letter(item, failure)]))
    return result


def _as_dead_letter(item: BatchItem, exc: Exception) -> DeadLetter:
    if isinstance(item, Inbound):
        return DeadLetter(item.topic, item.payload, item.received_at, "store_error",
                          f"{type(exc).__name__}: {exc}", item.message.device_id)
    assert isinstance(item, PresenceUpdate)
    return DeadLetter(f"presence/{item.device_id}", item.state.encode(), item.received_at, "store_error",
                      f"{type(exc).__name__}: {exc}", item.device_id)


def _named(kind: UplinkKind, payload: bytes) -> tuple[object, object]:
    """(record or downlink id, None) or (sha256, chunk index) as the payload gives them, unchecked."""
    fast = _AS_ENCODED[kind].match(payload)
    if fast is not None:  # a terminal's own encoding: no JSON parse
        first, index = fast.group(1).decode(), fast.group(2) if fast.lastindex == 2 else None
        return first, None if index is None else int(index)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # not UTF-8 / not JSON / absurdly nested
        return None, None
    if not isinstance(data, dict):
        return None, None
    if kind is UplinkKind.PHOTO_CHUNK:
        return data.get("sha256"), data.get("index")
    return data.get("message_id" if kind is UplinkKind.CONFIRM else "id"), None


def deferral_for(raw: RawMessage) -> tuple[str, Deferral | None]:
    """(device id, what to tell it) for an uplink over its rate limit; the payload is only read as far as needed
    to name the record, chunk or confirmation. None: nothing to defer (a heartbeat, which the next one
    supersedes) or nothing recognisable (junk from a flooding device: counted, not stored).

    A flood is this path's whole load, and JSON parsing plus pydantic validation were nearly all of its cost:
    the few rules that matter are checked here (the models' own: a receipt the device cannot decode would cost
    it every commit in it) and the models built with ``model_construct``."""
    parts = topics.uplink_parts(raw.topic)
    assert parts is not None, "the limiter only marks uplink-shaped topics"
    device_id, kind_name = parts
    kind = topics.uplink_kind(kind_name)
    if kind is None or kind is UplinkKind.HEARTBEAT or len(raw.payload) > MAX_PAYLOAD_BYTES:
        return device_id, None
    named, index = _named(kind, raw.payload)
    if kind is UplinkKind.PHOTO_CHUNK:
        if not (isinstance(named, str) and _SHA256.fullmatch(named) and type(index) is int and index >= 0):
            return device_id, None
        target: dict[str, Any] = {"chunk": ChunkAck.model_construct(sha256=named, index=index)}
    elif isinstance(named, str) and is_uuid7(named):
        target = {"id": named}
    else:
        return device_id, None
    wait = min(MAX_RETRY_AFTER_S, math.ceil((raw.retry_after_s or 0.0) * 1000) / 1000)  # rounded up: never early
    return device_id, Deferral.model_construct(kind=kind, reason="rate_limited", retry_after_s=wait, **target)


def ingest_batch(raws: Sequence[RawMessage], store: HubStore) -> BatchResult:
    """Decode and store raw messages; what the bridge's writer thread calls for every batch.

    Deferrals are derived from the raw messages again on every call, so a batch retried after a database
    failure answers exactly as it would have the first time (the limiter judged each message once, on arrival).
    """
    over = [raw for raw in raws if raw.retry_after_s is not None]
    if not over:
        return ingest_items(decode_batch(raws), store)
    admitted = decode_batch([raw for raw in raws if raw.retry_after_s is None])
    result = ingest_items(admitted, store) if admitted else BatchResult()
    for raw in over:
        device_id, deferral = deferral_for(raw)
        if deferral is not None:
            result.device(device_id).deferred.append(deferral)
    result.rate_limited += len(over)
    return result
