"""What goes into :meth:`HubStore.store_batch` and what comes out of it.

Inputs are already decoded (``hub.mqtt.ingest`` does that); the store only persists them.
Outputs say, per device, exactly what is committed so the bridge can receipt it.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Any, Literal

from protocol import MAX_RECEIPT_IDS, ChunkAck, Deferral, PhotoResult, Receipt, Rejection, UplinkMessage


@dataclass(frozen=True, slots=True)
class Inbound:
    """A decoded, well-addressed uplink. ``payload`` is the raw bytes, kept for conflict dead letters."""

    topic: str
    payload: bytes
    received_at: datetime
    message: UplinkMessage


@dataclass(frozen=True, slots=True)
class PresenceUpdate:
    """A device's retained status: ``online`` when it connects, ``offline`` as its last will."""

    device_id: str
    state: Literal["online", "offline"]
    received_at: datetime
    app_version: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the hub could not accept, kept for operators instead of being dropped or crashing ingest."""

    topic: str
    payload: bytes
    received_at: datetime
    reason: str
    detail: str = ""
    device_id: str | None = None


BatchItem = Inbound | PresenceUpdate | DeadLetter


@dataclass
class DeviceOutcome:
    """Everything one device is told after one batch commit."""

    committed: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    chunks: list[ChunkAck] = field(default_factory=list)
    photos: list[PhotoResult] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    duplicates: int = 0  # identical resends among ``committed``
    deferred: list[Deferral] = field(default_factory=list)  # over the device's rate limit: not stored, not refused

    def has_news(self) -> bool:
        return bool(self.committed or self.rejected or self.chunks or self.photos or self.confirmed or self.deferred)

    def receipts(self, device_id: str, at: datetime) -> list[Receipt]:
        """One receipt, or several when a list exceeds the protocol's per-receipt cap."""
        if self.committed and len(self.committed) <= MAX_RECEIPT_IDS and not (
                self.rejected or self.chunks or self.photos or self.confirmed or self.deferred):
            # Records only, what nearly every device is told: one receipt without the slicing (8 -> 3 us a device).
            return [Receipt(device_id=device_id, committed=self.committed, at=at)]

        def slices(items: list[Any]) -> list[list[Any]]:
            return [items[i:i + MAX_RECEIPT_IDS] for i in range(0, len(items), MAX_RECEIPT_IDS)]

        parts: Iterator[tuple[list[Any], ...]] = zip_longest(
            slices(self.committed), slices(self.rejected), slices(self.chunks),
                            slices(self.photos), slices(self.confirmed), fillvalue=[])
        receipts = [
            Receipt(device_id=device_id, committed=c, rejected=r, chunks=k, photos=p, confirmed=f, at=at)
            for c, r, k, p, f in parts
        ]
        # Deferrals in receipts of their own: a terminal too old to know the field refuses only those (and
        # re-sends after its receipt timeout, a backoff of sorts), never the receipt that retires its records.
        return receipts + [Receipt(device_id=device_id, deferred=d, at=at) for d in slices(self._live_deferrals())]

    def _live_deferrals(self) -> list[Deferral]:
        """Deferrals minus what another copy of the same message got stored in this batch."""
        if not self.deferred:
            return []
        stored = {*self.committed, *self.confirmed, *((c.sha256, c.index) for c in self.chunks)}
        return [d for d in self.deferred
                if (d.id if d.chunk is None else (d.chunk.sha256, d.chunk.index)) not in stored]


@dataclass
class BatchResult:
    devices: dict[str, DeviceOutcome] = field(default_factory=dict)
    stored_records: int = 0  # newly inserted
    duplicate_records: int = 0  # identical resends, receipted again
    conflicts: int = 0
    dead_letters: int = 0
    came_online: list[str] = field(default_factory=list)  # devices that announced themselves online
    rate_limited: int = 0  # uplinks over their device's rate limit (deferred, or dropped if they named nothing)

    def device(self, device_id: str) -> DeviceOutcome:
        outcome = self.devices.get(device_id)
        if outcome is None:
            outcome = self.devices[device_id] = DeviceOutcome()
        return outcome

    def merge(self, other: BatchResult) -> None:
        for device_id, theirs in other.devices.items():
            mine = self.device(device_id)
            mine.committed += theirs.committed
            mine.rejected += theirs.rejected
            mine.chunks += theirs.chunks
            mine.photos += theirs.photos
            mine.confirmed += theirs.confirmed
            mine.duplicates += theirs.duplicates
            mine.deferred += theirs.deferred
        self.stored_records += other.stored_records
        self.duplicate_records += other.duplicate_records
        self.conflicts += other.conflicts
        self.dead_letters += other.dead_letters
        self.rate_limited += other.rate_limited
        self.came_online += [d for d in other.came_online if d not in self.came_online]
