"""``HubStore``: the ingest store - the database plus the photo files under ``data_dir`` - with intent-named
methods over the tables the store owns (records, photos, devices, downlinks, dead letters). Injected clock.

The SQL lives in one module per table group (``records.py``, ``downlinks.py``, ``devices.py``,
``dead_letters.py``; writes of ingest in ``batch.py``); this class opens the transactions.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.store import dead_letters as dead_letter_rows
from hub.store import devices as device_rows
from hub.store import downlinks as downlink_rows
from hub.store import records as record_rows
from hub.store.batch import BatchWriter
from hub.store.clock import Clock, utc_now
from hub.store.db import Database
from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.items import BatchItem, BatchResult, DeadLetter, Inbound
from hub.store.migrate import upgrade
from hub.store.photos import sniff_mime
from hub.store.rows import DeadLetterRow, DeviceRow, DownlinkRow, PhotoRow, RecordRow, SeqGroup
from hub.store.tables import photos
from protocol import (
    MAX_CHUNK_BYTES,
    MAX_PHOTO_BYTES,
    DownlinkConfirm,
    Heartbeat,
    IncidentReport,
    PhotoChunk,
    PhotoRef,
    PositionFix,
    encode,
    uplink_topic_for,
)

__all__ = ["HubStore", "utc_now"]

# What a batch may hold and still be bulk (hub/store/write_gate.py): a batch with anything else - a report, an
# action, a check-in, a lookup - is case work and goes before the position batches waiting for the write lock.
_BULK_MESSAGES = (PositionFix, PhotoChunk, Heartbeat, DownlinkConfirm)


def is_bulk(items: Sequence[BatchItem]) -> bool:
    return all(not isinstance(item, Inbound) or isinstance(item.message, _BULK_MESSAGES) for item in items)


class HubStore(Database):
    def __init__(self, db_url: str, data_dir: Path | str, *, clock: Clock = utc_now, dead_letter_cap: int = 64 * 1024):
        self.db_url = normalize_db_url(db_url)
        super().__init__(create_hub_engine(self.db_url))
        self.data_dir = Path(data_dir)
        self.clock = clock
        self.dead_letter_cap = dead_letter_cap

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock = utc_now) -> HubStore:
        return cls(settings.db_url, settings.data_dir, clock=clock, dead_letter_cap=settings.dead_letter_payload_cap)

    def migrate(self) -> None:
        upgrade(self.db_url)

    def close(self) -> None:
        self.dispose()

    def ping(self) -> bool:
        try:
            with self.read() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    # -- ingest ---------------------------------------------------------------------------------
    def store_batch(self, items: Sequence[BatchItem]) -> BatchResult:
        """Persist a batch in ONE transaction; the result lists only what this commit made durable. On SQLite a
        batch of positions waits for the case work queued for the write lock (hub/store/write_gate.py)."""
        with self.write(bulk=is_bulk(items)) as conn:
            return BatchWriter(conn, self.data_dir, self.clock(), self.dead_letter_cap).write(list(items))

    def store_local_report(self, device_id: str, make: Callable[[int, datetime], IncidentReport]) -> BatchResult:
        """Store a report the hub itself receives for a virtual source (Open311) through the same writer as
        device reports: ``make(seq, now)`` builds it with the source's next gap-free seq, allocated under the
        write lock (PostgreSQL: an advisory lock per source, SQLite: the write transaction is exclusive)."""
        with self.write() as conn:
            return self.store_local_report_in(conn, device_id, make)

    def store_local_report_in(self, conn: sa.Connection, device_id: str,
                              make: Callable[[int, datetime], IncidentReport]) -> BatchResult:
        """:meth:`store_local_report` inside the caller's write transaction (the control room stores a call's report
        and opens its case in one transaction: hub/cases/triage.py)."""
        now = self.clock()
        if conn.dialect.name == "postgresql":
            from hub.store.locks import lock_key

            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(f"seq:{device_id}"))))
        report = make(record_rows.last_seq(conn, device_id) + 1, now)
        item = Inbound(uplink_topic_for(report), encode(report), now, report)
        return BatchWriter(conn, self.data_dir, now, self.dead_letter_cap, presence=False).write([item])

    def store_dead_letter(self, letter: DeadLetter) -> None:
        with self.write() as conn:
            dead_letter_rows.insert(conn, [letter], self.dead_letter_cap)

    # -- records --------------------------------------------------------------------------------
    def get_record(self, record_id: str) -> RecordRow | None:
        with self.read() as conn:
            return record_rows.get(conn, record_id)

    def list_records(self, *, kind: str | None = None, device_id: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int = 100, cursor: str | None = None,
                     devices_in: sa.Select[str] | None = None) -> tuple[list[RecordRow], str | None]:
        """See :func:`hub.store.records.page`; ``devices_in`` narrows to an operator's devices."""
        with self.read() as conn:
            return record_rows.page(conn, kind=kind, device_id=device_id, since=since, until=until, limit=limit,
                                    cursor=cursor, devices_in=devices_in)

    def count_records(self, *, device_id: str | None = None, kind: str | None = None) -> int:
        with self.read() as conn:
            return record_rows.count(conn, device_id=device_id, kind=kind)

    def stored_seqs(self, device_id: str) -> list[int]:
        with self.read() as conn:
            return record_rows.seqs(conn, device_id)

    def duplicate_seqs(self, device_id: str | None = None) -> list[SeqGroup]:
        with self.read() as conn:
            return record_rows.duplicate_seqs(conn, device_id)

    # -- photos ---------------------------------------------------------------------------------
    def get_photo(self, sha256: str) -> PhotoRow | None:
        with self.read() as conn:
            row = conn.execute(sa.select(photos).where(photos.c.sha256 == sha256)).first()
        return PhotoRow(**row._mapping) if row else None

    def photo_file(self, photo: PhotoRow) -> Path:
        return self.data_dir / photo.path

    # -- devices --------------------------------------------------------------------------------
    def list_devices(self, state: str | None = None, *,
                     devices_in: sa.Select[str] | None = None) -> list[DeviceRow]:
        with self.read() as conn:
            return device_rows.listed(conn, state=state, devices_in=devices_in)

    def get_device(self, device_id: str) -> DeviceRow | None:
        with self.read() as conn:
            return device_rows.get(conn, device_id)

    # -- dead letters ---------------------------------------------------------------------------
    def list_dead_letters(self, *, reason: str | None = None, device_id: str | None = None, limit: int = 100,
                          before_id: int | None = None,
                          devices_in: sa.Select[str] | None = None) -> list[DeadLetterRow]:
        """Newest first; page with ``before_id`` = the last id seen."""
        with self.read() as conn:
            return dead_letter_rows.newest(conn, reason=reason, device_id=device_id, limit=limit,
                                           before_id=before_id, devices_in=devices_in)

    def count_dead_letters(self, *, reason: str | None = None, device_id: str | None = None) -> int:
        with self.read() as conn:
            return dead_letter_rows.count(conn, reason=reason, device_id=device_id)

    # -- downlinks ------------------------------------------------------------------------------
    def queue_downlink(self, device_id: str, kind: str, body: dict[str, Any],
                       expires_at: datetime | None = None) -> DownlinkRow:
        with self.write() as conn:
            return downlink_rows.queue(conn, device_id, kind, body, self.clock(), expires_at)

    def get_downlink(self, message_id: str) -> DownlinkRow | None:
        with self.read() as conn:
            return downlink_rows.get(conn, message_id)

    def list_downlinks(self, device_id: str, limit: int = 100) -> list[DownlinkRow]:
        with self.read() as conn:
            return downlink_rows.for_device(conn, device_id, limit)

    def pending_downlinks(self, device_id: str, sent_before: datetime | None = None) -> list[DownlinkRow]:
        """Unconfirmed, unexpired messages for one device, oldest first (what to re-send on reconnect); with
        ``sent_before``, not those last sent at or after it."""
        with self.read() as conn:
            return downlink_rows.pending(conn, device_id, self.clock(), sent_before)

    def downlinks_due(self, resend_after_s: float, limit: int = 1000) -> list[DownlinkRow]:
        """Never-sent messages and unconfirmed ones last sent more than ``resend_after_s`` ago to online devices."""
        with self.read() as conn:
            return downlink_rows.due(conn, self.clock(), resend_after_s, limit)

    def claim_downlinks(self, rows: Sequence[DownlinkRow]) -> tuple[list[DownlinkRow], datetime]:
        """Mark ``rows`` sent if still live and not sent since they were read: (those claimed, the claim's time)."""
        now = self.clock()
        if not rows:
            return [], now
        with self.write() as conn:
            return downlink_rows.claim(conn, rows, now), now

    def release_downlinks(self, rows: Sequence[DownlinkRow], claimed_at: datetime) -> None:
        """Undo the claim on rows whose publish failed, so they are due again."""
        if rows:
            with self.write() as conn:
                downlink_rows.release(conn, rows, claimed_at)

    def expire_downlinks(self) -> int:
        with self.write() as conn:
            return downlink_rows.expire(conn, self.clock())

    # -- photos the hub itself receives (the control room's uploads) --------------------------------
    def store_photos_in(self, conn: sa.Connection, device_id: str, images: Sequence[bytes]) -> list[PhotoRef]:
        """Photos handed to the hub directly (an operator's upload for a phoned-in case), stored as the virtual source
        ``device_id``'s chunks by the batch writer - the same assembly, hash check and content-addressed file as a
        device's photos - inside the caller's write transaction. JPEG or PNG only, each at most MAX_PHOTO_BYTES:
        ValueError otherwise, before anything is written. Returns the references for the report to carry."""
        refs: list[PhotoRef] = []
        items: list[BatchItem] = []
        now = self.clock()
        for data in images:
            mime = sniff_mime(data)
            if mime not in ("image/jpeg", "image/png"):
                raise ValueError("not a JPEG or PNG image")
            if not 0 < len(data) <= MAX_PHOTO_BYTES:
                raise ValueError(f"a photo must be 1 to {MAX_PHOTO_BYTES} bytes")
            sha = hashlib.sha256(data).hexdigest()
            parts = [data[i:i + MAX_CHUNK_BYTES] for i in range(0, len(data), MAX_CHUNK_BYTES)]
            for index, part in enumerate(parts):
                chunk = PhotoChunk(device_id=device_id, sha256=sha, index=index, count=len(parts),
                                   total_size=len(data), data=part)
                items.append(Inbound(uplink_topic_for(chunk), b"", now, chunk))
            refs.append(PhotoRef(sha256=sha, size=len(data), chunks=len(parts), mime=mime))
        if not items:
            return []
        result = BatchWriter(conn, self.data_dir, now, self.dead_letter_cap, presence=False).write(items)
        failed = [p for p in result.device(device_id).photos if not p.ok]
        if failed:
            raise ValueError(f"photo {failed[0].sha256} could not be stored: {failed[0].reason}")
        return list({ref.sha256: ref for ref in refs}.values())  # the same photo twice is one photo
