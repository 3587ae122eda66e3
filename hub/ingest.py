"""From raw MQTT messages to stored facts: decode every message, dead-letter what can't be accepted,
store the rest in one batch. Plain functions of (messages, store): no MQTT here.

Nothing in here raises on bad input. A message that even breaks the database (a poison message)
is isolated and dead-lettered so the traffic behind it still gets stored.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from protocol import (
    UPLINK_MODELS,
    Channel,
    DeviceStatus,
    HubStatus,
    PhotoChunk,
    ProtocolError,
    decode,
    decode_status,
    parse_topic,
    topics,
)

from .store import BatchItem, BatchResult, DeadLetter, HubStore, Inbound, PresenceUpdate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawMessage:
    """Exactly what came off the wire, stamped with the hub's clock on arrival."""

    topic: str
    payload: bytes
    received_at: datetime


def _check_semantics(inbound: Inbound) -> None:
    """Rules the schema alone can't express."""
    m = inbound.message
    if isinstance(m, PhotoChunk) and m.index >= m.count:
        raise ProtocolError("invalid", f"chunk index {m.index} >= count {m.count}", m.device_id)


def _device_in_topic(topic: str) -> str | None:
    """Best-effort sender of an unparseable topic, so operators can find a misbehaving device."""
    parts = topic.split("/")
    if len(parts) > 3 and "/".join(parts[:3]) == f"{topics.ROOT}/dev" and topics.valid_device_id(parts[3]):
        return parts[3]
    return None


def decode_message(raw: RawMessage) -> BatchItem | None:
    """One raw message -> an :class:`Inbound`, a :class:`PresenceUpdate` or a :class:`DeadLetter`.

    ``None`` only for messages that are not for ingest at all (the hub's own status echo).
    """
    device_id = None
    try:
        parsed = parse_topic(raw.topic)
        device_id = parsed.device_id
        if parsed.channel is Channel.UPLINK:
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
                          exc.device_id or device_id or _device_in_topic(raw.topic))
    except Exception as exc:  # noqa: BLE001 - a decoder bug must not stop ingest; keep the evidence
        log.exception("unexpected error decoding %s", raw.topic[:200])
        return DeadLetter(raw.topic, raw.payload, raw.received_at, "decode_error",
                          f"{type(exc).__name__}: {exc}", device_id)


def decode_batch(raws: Sequence[RawMessage]) -> list[BatchItem]:
    return [item for item in map(decode_message, raws) if item is not None]


def is_transient(exc: BaseException) -> bool:
    """Database unavailable (retry the whole batch later) vs. this data can't be stored (isolate it)."""
    if isinstance(exc, sa.exc.DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError))
    return isinstance(exc, (sa.exc.TimeoutError, sa.exc.DisconnectionError, OSError))


def ingest_items(items: Sequence[BatchItem], store: HubStore) -> BatchResult:
    """Store decoded items in one transaction; on a non-transient failure, store them one by one and
    dead-letter the ones the database refuses. Transient failures propagate: the caller retries."""
    try:
        return store.store_batch(items)
    except Exception as exc:  # noqa: BLE001
        if is_transient(exc):
            raise
        log.warning("batch of %d failed (%s); isolating the poison message", len(items), exc)
    result = BatchResult()
    for item in items:
        try:
            result.merge(store.store_batch([item]))
            continue
        except Exception as exc:  # noqa: BLE001
            if is_transient(exc):
                raise
            failure = exc
        log.error("message on %s refused by the database: %s", getattr(item, "topic", "?"), failure)
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


def ingest_batch(raws: Sequence[RawMessage], store: HubStore) -> BatchResult:
    """Decode and store raw messages; what the bridge's writer thread calls for every batch."""
    return ingest_items(decode_batch(raws), store)
