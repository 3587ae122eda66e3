"""Typed read models returned by :class:`HubStore` queries (plain dataclasses, no ORM)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from protocol import DownlinkMessage


@dataclass(frozen=True, slots=True)
class RecordRow:
    id: str
    device_id: str
    seq: int
    kind: str
    payload: str
    content_sha256: str
    device_time: datetime
    received_at: datetime

    def payload_dict(self) -> dict[str, Any]:
        return json.loads(self.payload)


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: str
    state: str
    last_seen: datetime | None
    status_at: datetime | None
    outbox_depth: int | None
    photos_pending: int | None
    battery_pct: float | None
    app_version: str | None
    clock_skew_ms: int | None
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class PhotoRow:
    sha256: str
    size: int
    mime: str
    path: str
    device_id: str
    completed_at: datetime


@dataclass(frozen=True, slots=True)
class DownlinkRow:
    id: str
    device_id: str
    kind: str
    body: str
    created_at: datetime
    expires_at: datetime | None
    state: str
    send_count: int
    last_sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None

    def body_dict(self) -> dict[str, Any]:
        return json.loads(self.body)

    def to_message(self) -> DownlinkMessage:
        return DownlinkMessage(id=self.id, device_id=self.device_id, kind=self.kind, body=self.body_dict(),
                               created_at=self.created_at, expires_at=self.expires_at)


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    id: int
    received_at: datetime
    topic: str
    payload: bytes
    payload_size: int
    reason: str
    detail: str
    device_id: str | None


@dataclass(frozen=True, slots=True)
class SeqGroup:
    """Several stored records sharing one (device_id, seq): a device re-minted an id for the same fact."""

    device_id: str
    seq: int
    count: int
