"""What goes into :meth:`HubStore.store_batch` and what comes out of it.

Inputs are already decoded (``hub.ingest`` does that); the store only persists them.
Outputs say, per device, exactly what is committed so the bridge can receipt it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Literal, Union

from protocol import MAX_RECEIPT_IDS, ChunkAck, PhotoResult, Receipt, Rejection, UplinkMessage


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


BatchItem = Union[Inbound, PresenceUpdate, DeadLetter]


@dataclass
class DeviceOutcome:
    """Everything one device is told after one batch commit."""

    committed: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    chunks: list[ChunkAck] = field(default_factory=list)
    photos: list[PhotoResult] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    duplicates: int = 0  # identical resends among ``committed``

    def has_news(self) -> bool:
        return bool(self.committed or self.rejected or self.chunks or self.photos or self.confirmed)

    def receipts(self, device_id: str, at: datetime) -> list[Receipt]:
        """One receipt, or several when a list exceeds the protocol's per-receipt cap."""
        def slices(items: list) -> list[list]:
            return [items[i:i + MAX_RECEIPT_IDS] for i in range(0, len(items), MAX_RECEIPT_IDS)]

        parts = zip_longest(slices(self.committed), slices(self.rejected), slices(self.chunks),
                            slices(self.photos), slices(self.confirmed), fillvalue=[])
        return [
            Receipt(device_id=device_id, committed=c, rejected=r, chunks=k, photos=p, confirmed=f, at=at)
            for c, r, k, p, f in parts
        ]


@dataclass
class BatchResult:
    devices: dict[str, DeviceOutcome] = field(default_factory=dict)
    stored_records: int = 0  # newly inserted
    duplicate_records: int = 0  # identical resends, receipted again
    conflicts: int = 0
    dead_letters: int = 0
    came_online: list[str] = field(default_factory=list)  # devices that announced themselves online

    def device(self, device_id: str) -> DeviceOutcome:
        outcome = self.devices.get(device_id)
        if outcome is None:
            outcome = self.devices[device_id] = DeviceOutcome()
        return outcome

    def merge(self, other: "BatchResult") -> None:
        for device_id, theirs in other.devices.items():
            mine = self.device(device_id)
            mine.committed += theirs.committed
            mine.rejected += theirs.rejected
            mine.chunks += theirs.chunks
            mine.photos += theirs.photos
            mine.confirmed += theirs.confirmed
            mine.duplicates += theirs.duplicates
        self.stored_records += other.stored_records
        self.duplicate_records += other.duplicate_records
        self.conflicts += other.conflicts
        self.dead_letters += other.dead_letters
        self.came_online += [d for d in other.came_online if d not in self.came_online]
