"""``HubStore``: the hub's only door to its database. Intent-named methods, injected clock."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from protocol import uuid7

from hub.store.batch import BatchWriter, body_json
from hub.store.engine import create_hub_engine, normalize_db_url
from hub.store.items import BatchItem, BatchResult
from hub.store.migrate import upgrade
from hub.store.rows import DeadLetterRow, DeviceRow, DownlinkRow, PhotoRow, RecordRow, SeqGroup
from hub.store.tables import dead_letters, devices, downlinks, photos, records

UNCONFIRMED = ("queued", "sent")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class CursorError(ValueError):
    pass


def encode_cursor(received_at: datetime, record_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([received_at.isoformat(), record_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not isinstance(rid, str):
            raise ValueError
        return parsed, rid
    except (ValueError, TypeError, UnicodeError):
        raise CursorError("invalid cursor") from None


def new_downlink_row(device_id: str, kind: str, body: dict[str, Any], now: datetime,
                     expires_at: datetime | None = None) -> dict[str, Any]:
    """A ``downlinks`` row ready to insert; for callers that queue messages inside their own transaction
    (the dispatcher writes a task's downlink and its delivery record together)."""
    return {"id": uuid7(int(now.timestamp() * 1000)), "device_id": device_id, "kind": kind,
            "body": body_json(body), "created_at": now, "expires_at": expires_at, "state": "queued",
            "send_count": 0, "last_sent_at": None, "delivered_at": None, "read_at": None}


class HubStore:
    def __init__(self, db_url: str, data_dir: Path | str, *, clock: Callable[[], datetime] = utc_now,
                 dead_letter_cap: int = 64 * 1024):
        self.db_url = normalize_db_url(db_url)
        self.data_dir = Path(data_dir)
        self.clock = clock
        self.dead_letter_cap = dead_letter_cap
        self.engine = create_hub_engine(self.db_url)

    @classmethod
    def from_settings(cls, settings, clock: Callable[[], datetime] = utc_now) -> "HubStore":
        return cls(settings.db_url, settings.data_dir, clock=clock, dead_letter_cap=settings.dead_letter_payload_cap)

    def migrate(self) -> None:
        upgrade(self.db_url)

    def close(self) -> None:
        self.engine.dispose()

    def _write(self):
        """A write transaction (takes SQLite's write lock up front; see engine.py)."""
        return self.engine.execution_options(hub_write=True).begin()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    # -- ingest ---------------------------------------------------------------------------------
    def store_batch(self, items: Sequence[BatchItem]) -> BatchResult:
        """Persist a batch in ONE transaction; the result lists only what this commit made durable."""
        with self._write() as conn:
            return BatchWriter(conn, self.data_dir, self.clock(), self.dead_letter_cap).write(list(items))

    # -- records --------------------------------------------------------------------------------
    def get_record(self, record_id: str) -> RecordRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(records).where(records.c.id == record_id)).first()
        return RecordRow(**row._mapping) if row else None

    def list_records(self, *, kind: str | None = None, device_id: str | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int = 100, cursor: str | None = None,
                     where: sa.ColumnElement[bool] | None = None) -> tuple[list[RecordRow], str | None]:
        """Records by hub receive time (oldest first), ``since`` inclusive, ``until`` exclusive; keyset-paged.
        ``where`` narrows further (an operator's scope).

        No id bound for positions: a receive-time window says nothing about when a record was made (terminals
        keep weeks of offline backlog, thinned; device clocks can be days off), so on partitioned PostgreSQL a
        ``kind=position`` window is planned over every day partition (docs/scaling.md §4). The live views bound
        by age instead (``hub/web/feed.py``, ``LIVE_MAX_AGE``)."""
        query = sa.select(records) if where is None else sa.select(records).where(where)
        if kind:
            query = query.where(records.c.kind == kind)
        if device_id:
            query = query.where(records.c.device_id == device_id)
        if since:
            query = query.where(records.c.received_at >= since)
        if until:
            query = query.where(records.c.received_at < until)
        if cursor:
            at, rid = decode_cursor(cursor)
            query = query.where(sa.or_(records.c.received_at > at,
                                       sa.and_(records.c.received_at == at, records.c.id > rid)))
        query = query.order_by(records.c.received_at, records.c.id).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = [RecordRow(**r._mapping) for r in conn.execute(query)]
        if len(rows) > limit:
            rows = rows[:limit]
            return rows, encode_cursor(rows[-1].received_at, rows[-1].id)
        return rows, None

    def count_records(self, *, device_id: str | None = None, kind: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(records)
        if device_id:
            query = query.where(records.c.device_id == device_id)
        if kind:
            query = query.where(records.c.kind == kind)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def stored_seqs(self, device_id: str) -> list[int]:
        """A device's stored sequence numbers, ascending: gaps are lost records, repeats are duplicates."""
        query = sa.select(records.c.seq).where(records.c.device_id == device_id).order_by(records.c.seq)
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def duplicate_seqs(self, device_id: str | None = None) -> list[SeqGroup]:
        """(device, seq) pairs stored more than once under different ids. Should always be empty."""
        query = (sa.select(records.c.device_id, records.c.seq, sa.func.count().label("n"))
                 .group_by(records.c.device_id, records.c.seq).having(sa.func.count() > 1))
        if device_id:
            query = query.where(records.c.device_id == device_id)
        with self.engine.connect() as conn:
            return [SeqGroup(d, s, n) for d, s, n in conn.execute(query)]

    # -- photos ---------------------------------------------------------------------------------
    def get_photo(self, sha256: str) -> PhotoRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(photos).where(photos.c.sha256 == sha256)).first()
        return PhotoRow(**row._mapping) if row else None

    def photo_file(self, photo: PhotoRow) -> Path:
        return self.data_dir / photo.path

    # -- devices --------------------------------------------------------------------------------
    def list_devices(self, state: str | None = None) -> list[DeviceRow]:
        query = sa.select(devices).order_by(devices.c.id)
        if state:
            query = query.where(devices.c.state == state)
        with self.engine.connect() as conn:
            return [DeviceRow(**r._mapping) for r in conn.execute(query)]

    def get_device(self, device_id: str) -> DeviceRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(devices).where(devices.c.id == device_id)).first()
        return DeviceRow(**row._mapping) if row else None

    # -- dead letters ---------------------------------------------------------------------------
    def list_dead_letters(self, *, reason: str | None = None, device_id: str | None = None,
                          limit: int = 100, before_id: int | None = None) -> list[DeadLetterRow]:
        """Newest first; page with ``before_id`` = the last id seen."""
        query = sa.select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
        if reason:
            query = query.where(dead_letters.c.reason == reason)
        if device_id:
            query = query.where(dead_letters.c.device_id == device_id)
        if before_id is not None:
            query = query.where(dead_letters.c.id < before_id)
        with self.engine.connect() as conn:
            return [DeadLetterRow(**r._mapping) for r in conn.execute(query)]

    def count_dead_letters(self, *, reason: str | None = None, device_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(dead_letters)
        if reason:
            query = query.where(dead_letters.c.reason == reason)
        if device_id:
            query = query.where(dead_letters.c.device_id == device_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    # -- downlinks ------------------------------------------------------------------------------
    def queue_downlink(self, device_id: str, kind: str, body: dict[str, Any],
                       expires_at: datetime | None = None) -> DownlinkRow:
        row = new_downlink_row(device_id, kind, body, self.clock(), expires_at)
        with self._write() as conn:
            conn.execute(sa.insert(downlinks), row)
        return DownlinkRow(**row)

    def get_downlink(self, message_id: str) -> DownlinkRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(downlinks).where(downlinks.c.id == message_id)).first()
        return DownlinkRow(**row._mapping) if row else None

    def list_downlinks(self, device_id: str, limit: int = 100) -> list[DownlinkRow]:
        query = (sa.select(downlinks).where(downlinks.c.device_id == device_id)
                 .order_by(downlinks.c.created_at.desc(), downlinks.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [DownlinkRow(**r._mapping) for r in conn.execute(query)]

    def _live(self, now: datetime):
        return sa.and_(downlinks.c.state.in_(UNCONFIRMED),
                       sa.or_(downlinks.c.expires_at.is_(None), downlinks.c.expires_at > now))

    def pending_downlinks(self, device_id: str) -> list[DownlinkRow]:
        """Unconfirmed, unexpired messages for one device, oldest first (what to re-send on reconnect)."""
        query = (sa.select(downlinks).where(downlinks.c.device_id == device_id, self._live(self.clock()))
                 .order_by(downlinks.c.created_at, downlinks.c.id))
        with self.engine.connect() as conn:
            return [DownlinkRow(**r._mapping) for r in conn.execute(query)]

    def downlinks_due(self, resend_after_s: float, limit: int = 1000) -> list[DownlinkRow]:
        """Never-sent messages (any device: the broker queues for offline sessions) and
        unconfirmed ones last sent more than ``resend_after_s`` ago to devices that are online."""
        now = self.clock()
        never_sent = downlinks.c.last_sent_at.is_(None)
        stale = sa.and_(downlinks.c.last_sent_at < now - timedelta(seconds=resend_after_s),
                        downlinks.c.device_id.in_(sa.select(devices.c.id).where(devices.c.state == "online")))
        query = (sa.select(downlinks).where(self._live(now), sa.or_(never_sent, stale))
                 .order_by(downlinks.c.created_at, downlinks.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [DownlinkRow(**r._mapping) for r in conn.execute(query)]

    def mark_downlinks_sent(self, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        now = self.clock()
        with self._write() as conn:
            conn.execute(
                sa.update(downlinks).where(downlinks.c.id.in_(list(message_ids)))
                .values(state=sa.case((downlinks.c.state == "queued", "sent"), else_=downlinks.c.state),
                        send_count=downlinks.c.send_count + 1, last_sent_at=now))

    def expire_downlinks(self) -> int:
        now = self.clock()
        with self._write() as conn:
            result = conn.execute(sa.update(downlinks).where(
                downlinks.c.state.in_(UNCONFIRMED), downlinks.c.expires_at.is_not(None),
                downlinks.c.expires_at <= now).values(state="expired"))
        return result.rowcount or 0
