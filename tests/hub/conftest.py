"""Hub test helpers: message factories (a fake device's view of the protocol) and a migrated store."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from hub.ingest import RawMessage
from hub.store import HubStore
from protocol import (
    DeviceStatus,
    DownlinkConfirm,
    Heartbeat,
    IncidentReport,
    PhotoChunk,
    Position,
    encode,
    topics,
    uplink_topic_for,
    uuid7,
)

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Device:
    """Builds the messages one terminal would publish."""

    def __init__(self, device_id: str):
        self.id = device_id
        self.seq = 0

    def report(self, note: str = "", record_id: str | None = None, seq: int | None = None) -> IncidentReport:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return IncidentReport(id=record_id or uuid7(), device_id=self.id, seq=seq, created_at=T0,
                              category="road", note=note, position=Position(lat=31.2, lon=121.5, accuracy_m=5))

    def heartbeat(self, sent_at: datetime = T0, outbox_depth: int = 3) -> Heartbeat:
        return Heartbeat(device_id=self.id, sent_at=sent_at, outbox_depth=outbox_depth, photos_pending=1,
                         battery_pct=80, app_version="1.2.3")

    def confirm(self, message_id: str, state: str = "delivered") -> DownlinkConfirm:
        return DownlinkConfirm(device_id=self.id, message_id=message_id, state=state, at=T0)

    def photo_chunks(self, data: bytes, chunk: int = 1000, sha256: str | None = None) -> list[PhotoChunk]:
        sha = sha256 or hashlib.sha256(data).hexdigest()
        parts = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        return [PhotoChunk(device_id=self.id, sha256=sha, index=i, count=len(parts), total_size=len(data), data=p)
                for i, p in enumerate(parts)]

    def status(self, state: str) -> tuple[str, bytes]:
        return topics.device_status(self.id), encode(DeviceStatus(device_id=self.id, state=state, at=T0))


def raw(message, at: datetime = T0) -> RawMessage:
    return RawMessage(uplink_topic_for(message), encode(message), at)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url, tmp_path, clock):
    hub_store = HubStore(db_url, tmp_path / "data", clock=clock, dead_letter_cap=1024)
    hub_store.migrate()
    yield hub_store
    hub_store.close()


@pytest.fixture
def device(unique) -> Device:
    return Device(f"kiosk-{unique}")
