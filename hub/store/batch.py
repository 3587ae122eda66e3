"""The body of one ``store_batch`` transaction: bulk statements per message kind, never one per message.

Every function here runs inside the caller's transaction and records what the device must be
told in a :class:`BatchResult`; nothing is receipted unless the whole transaction commits.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.store import dead_letters, downlinks
from hub.store.files import write_atomically
from hub.store.items import BatchItem, BatchResult, DeadLetter, Inbound, PresenceUpdate
from hub.store.locks import lock_key
from hub.store.photos import PhotoRejected, StoredChunk, assemble, photo_relpath, sniff_mime
from hub.store.tables import devices, photo_chunks, photos, records
from protocol import (
    CaseAction,
    CheckpointVisit,
    ChunkAck,
    DeliberationComment,
    DeliberationVote,
    DeliveryState,
    DownlinkConfirm,
    FollowupAnswer,
    Heartbeat,
    HelperObservation,
    HomeVisit,
    IncidentReport,
    LookupRequest,
    PatrolLog,
    PhotoChunk,
    PhotoResult,
    PositionFix,
    Record,
    Rejection,
    ResidentCheckin,
    encode,
)

RecordMessage = (IncidentReport | ResidentCheckin | PositionFix | CaseAction | LookupRequest
                 | PatrolLog | DeliberationComment | DeliberationVote | FollowupAnswer
                 | HelperObservation | HomeVisit | CheckpointVisit)  # the Record kinds, for typing
SQL_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (both dialects spell them the same way)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# PostgreSQL fast path: one statement per batch over unnest()ed column arrays (see _insert_records).
# No conflict target: partitioned records (migration 0009) has primary key (id, kind), SQLite still (id).
RECORD_COLUMNS = ("id", "device_id", "seq", "kind", "payload", "content_sha256", "device_time", "received_at")
PG_INSERT_RECORDS = (
    "INSERT INTO records (id, device_id, seq, kind, payload, content_sha256, device_time, received_at) "
    "SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::bigint[], %b::varchar[], %b::text[], %b::varchar[], "
    "%b::timestamptz[], %b::timestamptz[]) ON CONFLICT DO NOTHING RETURNING id")
DEVICE_COLUMNS = ("id", "state", "first_seen", "last_seen", "status_at", "outbox_depth", "photos_pending",
                  "battery_pct", "app_version", "clock_skew_ms")
_KEPT = ("last_seen", "status_at", "outbox_depth", "photos_pending", "battery_pct", "app_version", "clock_skew_ms")
# The presence of a device whose identity was revoked (hub/devices/identities.py): set by mark_revoked, kept by
# every upsert below whatever the device still sends (its retained last will, an "online" before the broker drops
# it), cleared only when an admin issues it a new enrolment code.
REVOKED = "revoked"
PG_UPSERT_DEVICES = (
    "INSERT INTO devices (id, state, first_seen, last_seen, status_at, outbox_depth, photos_pending, battery_pct, "
    "app_version, clock_skew_ms) SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::timestamptz[], "
    "%b::timestamptz[], %b::timestamptz[], %b::integer[], %b::integer[], %b::float8[], %b::varchar[], %b::bigint[]) "
    f"ON CONFLICT (id) DO UPDATE SET state = CASE WHEN devices.state = '{REVOKED}' THEN devices.state "
    "ELSE excluded.state END, "
    + ", ".join(f"{c} = coalesce(excluded.{c}, devices.{c})" for c in _KEPT))


def _all_aware(rows: list[dict], columns: tuple[str, ...]) -> bool:
    """The raw path skips UtcDateTime's check: naive datetimes take the checked (and refusing) path."""
    return all(r[c] is None or r[c].tzinfo is not None for r in rows for c in columns)


def _chunks(items: list, size: int = SQL_IN_CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class BatchWriter:
    def __init__(self, conn: Connection, data_dir: Path, now: datetime, dead_letter_cap: int, *,
                 presence: bool = True):
        self.conn = conn
        self.presence = presence  # False for the hub's own virtual sources (Open311): no device row
        self.data_dir = data_dir
        self.now = now
        self.cap = dead_letter_cap
        self.result = BatchResult()
        self._dead: list[DeadLetter] = []

    def write(self, items: list[BatchItem]) -> BatchResult:
        records: list[tuple[Inbound, RecordMessage]] = []
        chunks: list[tuple[Inbound, PhotoChunk]] = []
        confirms: list[tuple[Inbound, DownlinkConfirm]] = []
        for item in items:
            if isinstance(item, DeadLetter):
                self._dead.append(item)
            elif isinstance(item, Inbound):
                m = item.message
                if isinstance(m, Record):  # every record kind, whatever protocol/ adds later
                    records.append((item, m))
                elif isinstance(m, PhotoChunk):
                    chunks.append((item, m))
                elif isinstance(m, DownlinkConfirm):
                    confirms.append((item, m))
        self._store_records(records)
        self._store_chunks(chunks)
        self._apply_confirms(confirms)
        if self.presence:
            self._update_devices(items)
        self._store_dead_letters()
        return self.result

    # -- records --------------------------------------------------------------------------------
    def _store_records(self, items: list[tuple[Inbound, RecordMessage]]) -> None:
        if not items:
            return
        first: dict[str, tuple[str, Inbound]] = {}  # id -> (hash, item) of the first copy in this batch
        rows: list[dict[str, Any]] = []
        order: list[tuple[str, str, Inbound, str]] = []  # (id, hash, item, device) in arrival order
        for item, m in items:
            canonical = encode(m)  # hashed and stored: key order or whitespace in a resend don't count
            digest = hashlib.sha256(canonical).hexdigest()
            order.append((m.id, digest, item, m.device_id))
            if m.id in first:
                continue
            first[m.id] = (digest, item)
            rows.append({
                "id": m.id, "device_id": m.device_id, "seq": m.seq, "kind": m.kind,
                "payload": canonical.decode(), "content_sha256": digest,
                "device_time": m.created_at, "received_at": item.received_at,
            })
        inserted = self._insert_records(rows)
        # Ids not inserted were already stored (earlier batch, or another hub worker): compare content.
        stored_hash: dict[str, str] = {}
        missing = [r["id"] for r in rows if r["id"] not in inserted]
        for part in _chunks(missing):
            query = sa.select(records.c.id, records.c.content_sha256).where(records.c.id.in_(part))
            stored_hash.update((rid, sha) for rid, sha in self.conn.execute(query))
        for rid in inserted:
            stored_hash[rid] = first[rid][0]

        newly_counted: set[str] = set()
        for rid, digest, item, device_id in order:
            outcome = self.result.device(device_id)
            if stored_hash.get(rid) == digest:
                outcome.committed.append(rid)
                if rid in inserted and rid not in newly_counted:
                    newly_counted.add(rid)
                    self.result.stored_records += 1
                else:
                    outcome.duplicates += 1
                    self.result.duplicate_records += 1
            else:
                # Same id, different content: the original stays; the newcomer is kept for a human.
                outcome.rejected.append(Rejection(id=rid, reason="conflict",
                                                  detail="a different record with this id is already stored"))
                self.result.conflicts += 1
                self._dead.append(DeadLetter(item.topic, item.payload, item.received_at, "conflict",
                                             f"record {rid} already stored with other content", device_id))

    def _insert_records(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert new records, skip ids already stored; returns the ids this transaction inserted."""
        if self.conn.dialect.name == "postgresql" and _all_aware(rows, ("device_time", "received_at")):
            # One fixed statement whatever the batch size, so psycopg's parsed-query cache hits (insertmanyvalues
            # renders a new text per batch size, and parsing it cost more hub CPU than PostgreSQL spent storing
            # the rows), with the column arrays sent in binary (%b: no per-element text escaping in Python).
            rows = sorted(rows, key=lambda r: r["id"])  # same lock order in every worker: no deadlocks
            return set(self.conn.exec_driver_sql(PG_INSERT_RECORDS, tuple(
                [r[c] for r in rows] for c in RECORD_COLUMNS)).scalars())
        stmt = dialect_insert(self.conn, records).on_conflict_do_nothing()
        inserted: set[str] = set()
        for part in _chunks(rows):
            inserted.update(self.conn.execute(stmt.returning(records.c.id), part).scalars())
        return inserted

    # -- photos ---------------------------------------------------------------------------------
    def _store_chunks(self, items: list[tuple[Inbound, PhotoChunk]]) -> None:
        if not items:
            return
        shas = sorted({m.sha256 for _, m in items})
        complete: set[str] = set()
        for part in _chunks(shas):
            complete.update(self.conn.execute(sa.select(photos.c.sha256).where(photos.c.sha256.in_(part))).scalars())
        rows: list[dict[str, Any]] = []
        finisher: dict[str, str] = {}
        reported: set[tuple[str, str]] = set()
        for item, m in items:
            outcome = self.result.device(m.device_id)
            outcome.chunks.append(ChunkAck(sha256=m.sha256, index=m.index))
            if m.sha256 in complete:
                if (m.device_id, m.sha256) not in reported:  # late or repeated chunk of a stored photo
                    reported.add((m.device_id, m.sha256))
                    outcome.photos.append(PhotoResult(sha256=m.sha256, ok=True))
                continue
            finisher[m.sha256] = m.device_id
            rows.append({"sha256": m.sha256, "idx": m.index, "count": m.count, "total_size": m.total_size,
                         "device_id": m.device_id, "data": m.data, "received_at": item.received_at})
        if not rows:
            return
        self.conn.execute(dialect_insert(self.conn, photo_chunks).on_conflict_do_nothing(), rows)
        pending = sorted(finisher)
        if self.conn.dialect.name == "postgresql":
            # Two hub workers may store the last chunks of one photo concurrently; neither would see the
            # other's rows and nobody would assemble it. Serialised per photo (sorted: no lock cycles), the
            # second one's count sees the first's commit (READ COMMITTED) and assembles.
            for sha in pending:
                self.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(f"photo:{sha}"))))
        counts: dict[str, tuple[int, int]] = {}
        for part in _chunks(pending):
            query = (sa.select(photo_chunks.c.sha256, sa.func.count(), sa.func.max(photo_chunks.c.count))
                     .where(photo_chunks.c.sha256.in_(part)).group_by(photo_chunks.c.sha256))
            counts.update({sha: (have, want) for sha, have, want in self.conn.execute(query)})
        for sha in pending:
            have, want = counts.get(sha, (0, 1))
            if have >= want:
                self._assemble_photo(sha, finisher[sha])

    def _assemble_photo(self, sha: str, device_id: str) -> None:
        query = (sa.select(photo_chunks.c.idx, photo_chunks.c.count, photo_chunks.c.total_size, photo_chunks.c.data)
                 .where(photo_chunks.c.sha256 == sha))
        chunks = [StoredChunk(idx, count, size, bytes(data)) for idx, count, size, data in self.conn.execute(query)]
        outcome = self.result.device(device_id)
        try:
            data = assemble(sha, chunks)
        except PhotoRejected as exc:
            # Discard every chunk: the device re-sends the whole photo on ok=False.
            outcome.photos.append(PhotoResult(sha256=sha, ok=False, reason=exc.reason))
        else:
            relpath = photo_relpath(sha)
            # Written before commit: if the commit fails the retry rewrites the same bytes, nothing is lost.
            write_atomically(self.data_dir / relpath, data)
            self.conn.execute(dialect_insert(self.conn, photos).on_conflict_do_nothing(), {
                "sha256": sha, "size": len(data), "mime": sniff_mime(data), "path": relpath,
                "device_id": device_id, "completed_at": self.now})
            outcome.photos.append(PhotoResult(sha256=sha, ok=True))
        self.conn.execute(sa.delete(photo_chunks).where(photo_chunks.c.sha256 == sha))

    # -- downlink confirmations -----------------------------------------------------------------
    def _apply_confirms(self, items: list[tuple[Inbound, DownlinkConfirm]]) -> None:
        if not items:
            return
        owner = downlinks.owners(self.conn, sorted({m.message_id for _, m in items}))
        delivered: list[dict[str, Any]] = []
        read: list[dict[str, Any]] = []
        for item, m in items:
            outcome = self.result.device(m.device_id)
            if owner.get(m.message_id) != m.device_id:
                # Unknown (or another device's) message: nothing to update, but confirm it so the
                # device stops re-sending; keep the evidence.
                self._dead.append(DeadLetter(item.topic, item.payload, item.received_at, "unknown_downlink",
                                             f"no downlink {m.message_id} for this device", m.device_id))
            else:
                params = {"mid": m.message_id, "at": item.received_at}
                (read if m.state is DeliveryState.READ else delivered).append(params)
            if m.message_id not in outcome.confirmed:
                outcome.confirmed.append(m.message_id)
        downlinks.confirm(self.conn, delivered, read)

    # -- presence and device health -------------------------------------------------------------
    def _update_devices(self, items: list[BatchItem]) -> None:
        """One upsert per device with its final state after this batch, in arrival order."""
        changes: dict[str, dict[str, Any]] = {}
        for item in items:
            if isinstance(item, PresenceUpdate):
                change = changes.setdefault(item.device_id, {})
                change.update(state=item.state, status_at=item.received_at)
                if item.app_version:
                    change["app_version"] = item.app_version
                if item.state == "online" and item.device_id not in self.result.came_online:
                    self.result.came_online.append(item.device_id)
            elif isinstance(item, Inbound):
                m = item.message
                change = changes.setdefault(m.device_id, {})
                # A device that publishes is connected, whatever its last retained status said.
                change.update(state="online", last_seen=item.received_at)
                if isinstance(m, Heartbeat):
                    skew = (item.received_at - m.sent_at).total_seconds() * 1000
                    change.update(outbox_depth=m.outbox_depth, photos_pending=m.photos_pending,
                                  battery_pct=m.battery_pct, app_version=m.app_version, clock_skew_ms=round(skew))
        if not changes:
            return
        columns = ["last_seen", "status_at", "outbox_depth", "photos_pending", "battery_pct",
                   "app_version", "clock_skew_ms"]
        rows = [{"id": device_id, "state": change["state"], "first_seen": self.now,
                 **{c: change.get(c) for c in columns}} for device_id, change in sorted(changes.items())]
        if self.conn.dialect.name == "postgresql" and _all_aware(rows, ("first_seen", "last_seen", "status_at")):
            self.conn.exec_driver_sql(PG_UPSERT_DEVICES, tuple([r[c] for r in rows] for c in DEVICE_COLUMNS))
            return
        stmt = dialect_insert(self.conn, devices)
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={
            "state": sa.case((devices.c.state == REVOKED, devices.c.state), else_=stmt.excluded.state),
            **{c: sa.func.coalesce(getattr(stmt.excluded, c), devices.c[c]) for c in columns},
        })
        self.conn.execute(stmt, rows)

    # -- dead letters ---------------------------------------------------------------------------
    def _store_dead_letters(self) -> None:
        self.result.dead_letters += dead_letters.insert(self.conn, self._dead, self.cap)


# -- presence written by device identity (hub/devices/identities.py, in its own transaction) -------------------
def mark_revoked(conn: Connection, device_id: str, at: datetime) -> None:
    """The device's identity was revoked: its presence says so at once (``status_at`` moves, so the live stream
    sends it), with a row made for a device never heard from, so nothing it sends later can turn it online."""
    stmt = dialect_insert(conn, devices).values(id=device_id, state=REVOKED, first_seen=at, status_at=at)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"state": REVOKED, "status_at": at}))


def clear_revoked(conn: Connection, device_id: str, at: datetime) -> None:
    """A revoked device given a new enrolment code: offline (until it connects with its new password)."""
    conn.execute(sa.update(devices).where(devices.c.id == device_id, devices.c.state == REVOKED)
                 .values(state="offline", status_at=at))
