"""The terminal's durable state: records, their outbox, photos, the downlink inbox, settings.

Everything the device captures is written here first (one transaction per record, including
its outbox row and photo chunk rows) and only then sent; a record leaves the outbox only on
the hub's receipt. One writer: every call takes the store's lock, since the app and the sync
worker share one connection.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import BaseModel

from protocol import (
    MAX_PAYLOAD_BYTES,
    CaseAction,
    CaseActionKind,
    CheckinKind,
    CheckpointVisit,
    DeliberationComment,
    DeliberationVote,
    DownlinkMessage,
    FollowupAnswer,
    HelperObservation,
    HomeVisit,
    IncidentReport,
    LookupRequest,
    PatrolLog,
    PhotoRef,
    Position,
    PositionFix,
    ResidentCheckin,
    Severity,
    decode,
    encode,
    uuid7,
)
from protocol.topics import valid_device_id
from terminal.clock import Clock, iso, utc_now
from terminal.photos import DEFAULT_CHUNK_BYTES, PhotoFile, PhotoStore
from terminal.schema import open_database

log = logging.getLogger(__name__)

OUTBOX_STATES = ("pending", "sent", "acked", "rejected", "thinned")
UNFINISHED = ("pending", "sent")

# The record kinds a terminal captures (each has ``id`` and ``kind``); _record returns the type it was given.
_Record = TypeVar("_Record", IncidentReport, ResidentCheckin, PositionFix, CaseAction, PatrolLog,
                   LookupRequest, FollowupAnswer, DeliberationComment, DeliberationVote, HomeVisit,
                   HelperObservation, CheckpointVisit)


@dataclass(frozen=True)
class OutboxItem:
    record_id: str
    seq: int
    kind: str
    payload: bytes
    attempts: int


@dataclass(frozen=True)
class ChunkRef:
    sha256: str
    index: int
    count: int
    total_size: int
    chunk_size: int
    path: str


@dataclass(frozen=True)
class InboxEntry:
    id: str
    kind: str
    body: dict[str, Any]
    created_at: str
    received_at: str
    expires_at: str | None
    state: str
    applied: bool
    confirm_state: str


class TerminalStore:
    def __init__(self, path: Path | str, device_id: str, *, clock: Clock = utc_now,
                 photos_dir: Path | str | None = None, chunk_size: int = DEFAULT_CHUNK_BYTES):
        if not valid_device_id(device_id):
            raise ValueError(f"device id {device_id!r} does not match the protocol's pattern")
        self.path = Path(path)
        self.device_id = device_id
        self.clock = clock
        self._lock = threading.RLock()
        self.db = open_database(self.path)
        self.photos = PhotoStore(photos_dir or self.path.parent / "photos", chunk_size)
        self._bind_device()

    def _bind_device(self) -> None:
        # A store belongs to one device forever: mixing two devices' sequences would corrupt both.
        with self._lock, self.db.atomic():
            owner = self.get_setting("device_id")
            if owner is None:
                self._put_setting("device_id", self.device_id)
                self._put_setting("next_seq", "1")
            elif owner != self.device_id:
                raise ValueError(f"{self.path} belongs to device {owner!r}, not {self.device_id!r}")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- settings -------------------------------------------------------------------------
    @overload
    def get_setting(self, key: str) -> str | None: ...
    @overload
    def get_setting(self, key: str, default: str) -> str: ...
    @overload
    def get_setting(self, key: str, default: str | None) -> str | None: ...

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self._lock, self.db.atomic():
            self._put_setting(key, value)

    def _put_setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, value])

    # --- capturing records ------------------------------------------------------------------
    def record_report(self, category: str, position: Position, *, note: str = "",
                      severity: Severity | str = Severity.NORMAL, photos: Sequence[bytes] = (),
                      resident_key: str | None = None) -> IncidentReport:
        # Photo files go to disk before the transaction: a file without a row is a harmless orphan,
        # a row without its file would be a photo the device promised and cannot send.
        files = [self.photos.save(data) for data in photos]
        refs = [PhotoRef(sha256=f.sha256, size=f.size, chunks=f.chunk_count) for f in files]
        fields: dict[str, Any] = {"category": category, "note": note, "severity": severity, "position": position,
                                  "photos": refs}
        if resident_key is not None:  # only then: a report without a card encodes as before
            fields["resident_key"] = resident_key
        return self._record(IncidentReport, fields, files)

    def record_checkin(self, checkin_kind: CheckinKind | str, resident_key: str, *, note: str = "",
                       position: Position | None = None) -> ResidentCheckin:
        return self._record(ResidentCheckin, {"checkin_kind": checkin_kind, "resident_key": resident_key,
                                              "note": note, "position": position})

    def record_position(self, position: Position, *, speed_mps: float | None = None,
                        heading_deg: float | None = None) -> PositionFix:
        return self._record(PositionFix, {"position": position, "speed_mps": speed_mps, "heading_deg": heading_deg})

    def record_patrol(self, started_at: datetime, ended_at: datetime, *, distance_m: float, fixes: int,
                      skipped: int = 0, grid_code: str | None = None) -> PatrolLog:
        """A finished patrol's summary (its positions were recorded one by one as it went)."""
        return self._record(PatrolLog, {"started_at": started_at, "ended_at": ended_at, "distance_m": distance_m,
                                        "fixes": fixes, "skipped": skipped, "grid_code": grid_code})

    def record_case_action(self, case_id: str, action: CaseActionKind | str, *, task_id: str | None = None,
                           case_version: int | None = None, note: str = "", reason: str = "",
                           position: Position | None = None, photos: Sequence[bytes] = ()) -> CaseAction:
        """A field worker's accept / arrive / resolve / return / verify, outboxed like any record."""
        files = [self.photos.save(data) for data in photos]
        refs = [PhotoRef(sha256=f.sha256, size=f.size, chunks=f.chunk_count) for f in files]
        return self._record(CaseAction, {"case_id": case_id, "action": action, "task_id": task_id,
                                         "case_version": case_version, "note": note, "reason": reason,
                                         "position": position, "photos": refs}, files)

    def outbox_state(self, record_id: str) -> str | None:
        """pending | sent | acked | rejected for a record made here; None for an unknown id."""
        with self._lock:
            row = self.db.execute("SELECT state FROM outbox WHERE record_id = ?", [record_id]).fetchone()
        return str(row[0]) if row else None

    def record_followup(self, case_id: str, reference: str, answer: str, *, resident_key: str | None = None,
                        words: str = "", via: str = "prompt", prompt_id: str | None = None) -> FollowupAnswer:
        """A resident's 回访 answer, outboxed like any record."""
        return self._record(FollowupAnswer, {"case_id": case_id, "reference": reference, "answer": answer,
                                             "resident_key": resident_key, "words": words, "via": via,
                                             "prompt_id": prompt_id})

    def followups_answered(self) -> set[str]:
        """Case ids this device has recorded a 回访 answer for (so it stops asking, before the hub withdraws)."""
        with self._lock:
            rows = self.db.execute("SELECT payload FROM records WHERE kind = 'followup'").fetchall()
        return {FollowupAnswer.model_validate_json(payload).case_id for (payload,) in rows}

    def record_vote(self, topic_id: str, resident_key: str, option: str) -> DeliberationVote:
        """A resident's 议事 vote (the card's keyed hash only), outboxed like any record: offline too."""
        return self._record(DeliberationVote, {"topic_id": topic_id, "resident_key": resident_key, "option": option})

    def record_comment(self, topic_id: str, resident_key: str, text: str) -> DeliberationComment:
        """A resident's 议事 comment; private at the hub until an operator approves it."""
        return self._record(DeliberationComment, {"topic_id": topic_id, "resident_key": resident_key, "text": text})

    def votes_made(self) -> list[DeliberationVote]:
        """The votes made at this kiosk, oldest first (to tell a resident who votes again here at once)."""
        with self._lock:
            rows = self.db.execute("SELECT payload FROM records WHERE kind = 'vote' ORDER BY seq").fetchall()
        return [DeliberationVote.model_validate_json(payload) for (payload,) in rows]

    def record_observation(self, resident_key: str, verdict: str, *, signs: Sequence[str] = (), via: str = "helper",
                           note: str = "", position: Position | None = None) -> HelperObservation:
        """A helper's 平安 / 异常 for a watched resident (1+1+N), outboxed like any record: offline too."""
        return self._record(HelperObservation, {"resident_key": resident_key, "verdict": verdict,
                                                "signs": list(signs), "via": via, "note": note, "position": position})

    def record_checkpoint(self, fields: dict[str, Any]) -> CheckpointVisit:
        """A checkpoint scanned on patrol and its checklist (protocol/patrol.py), outboxed like any record."""
        return self._record(CheckpointVisit, fields)

    def observations_made(self) -> list[HelperObservation]:
        """The helper's observations recorded here, oldest first (what the watch list shows as done)."""
        with self._lock:
            rows = self.db.execute("SELECT payload FROM records WHERE kind = 'observation' ORDER BY seq").fetchall()
        return [HelperObservation.model_validate_json(payload) for (payload,) in rows]

    def record_lookup(self, query: str) -> LookupRequest:
        """A resident's 查进度 question (a reference or receipt code), outboxed like any record."""
        return self._record(LookupRequest, {"query": query})

    def record_visit(self, fields: dict[str, Any]) -> HomeVisit:
        """A grid worker's home visit (入户走访) with its needs, outboxed like any record: offline too."""
        return self._record(HomeVisit, fields)

    def positions_since(self, since: datetime) -> list[PositionFix]:
        """Positions recorded at or after ``since``, oldest first: a patrol resumed after a restart redraws its
        line and keeps its distance."""
        with self._lock:
            rows = self.db.execute("SELECT payload FROM records WHERE kind = 'position' AND created_at >= ? "
                                   "ORDER BY seq", [iso(since)]).fetchall()
        return [PositionFix.model_validate_json(payload) for (payload,) in rows]

    def case_actions(self, case_id: str | None = None) -> list[tuple[CaseAction, str]]:
        """Actions taken on this device (oldest first) with their outbox state: what the worker did, even
        before the hub has heard of it."""
        where, params = ("AND r.payload LIKE ?", [f'%"case_id":"{case_id}"%']) if case_id else ("", [])
        with self._lock:
            rows = self.db.execute("SELECT r.payload, o.state FROM records r JOIN outbox o ON o.record_id = r.id "
                                   f"WHERE r.kind = 'action' {where} ORDER BY r.seq", params).fetchall()
        return [(CaseAction.model_validate_json(payload), state) for payload, state in rows]

    def _record(self, model: type[_Record], fields: dict[str, Any], photo_files: Sequence[PhotoFile] = ()) -> _Record:
        with self._lock:
            now = self.clock()
            with self.db.atomic():
                seq = int(self.get_setting("next_seq", "1"))
                message = model(id=uuid7(int(now.timestamp() * 1000)), device_id=self.device_id,
                                seq=seq, created_at=now, **fields)
                payload = _validated_payload(message)
                self.db.execute("INSERT INTO records (id, seq, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                                [message.id, seq, message.kind, payload.decode(), iso(now)])
                self.db.execute("INSERT INTO outbox (record_id, seq, kind, state, attempts, created_at) "
                                "VALUES (?, ?, ?, 'pending', 0, ?)", [message.id, seq, message.kind, iso(now)])
                for photo in photo_files:
                    self._insert_photo(photo, now)
                self._put_setting("next_seq", str(seq + 1))
        return message

    def _insert_photo(self, photo: PhotoFile, now: datetime) -> None:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO photos (sha256, size, path, chunk_size, chunk_count, state, attempts, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)",
            [photo.sha256, photo.size, str(photo.path), photo.chunk_size, photo.chunk_count, iso(now)])
        if cursor.rowcount:  # the same picture attached again is already queued
            self.db.conn.executemany(
                "INSERT INTO photo_chunks (sha256, idx, state, attempts) VALUES (?, ?, 'pending', 0)",
                [(photo.sha256, i) for i in range(photo.chunk_count)])

    # --- the record outbox ------------------------------------------------------------------
    def pending_outbox(self, limit: int) -> list[OutboxItem]:
        with self._lock:
            rows = self.db.execute(
                "SELECT o.record_id, o.seq, o.kind, r.payload, o.attempts FROM outbox o "
                "JOIN records r ON r.id = o.record_id WHERE o.state = 'pending' ORDER BY o.seq LIMIT ?",
                [limit]).fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3].encode(), r[4]) for r in rows]

    def mark_sent(self, record_ids: Iterable[str]) -> int:
        """PUBACK received: the broker has it, the hub may not yet. Only pending rows move."""
        return self._update_many("UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 "
                                 "WHERE record_id = ? AND state = 'pending'", record_ids, with_time=True)

    def mark_acked(self, record_ids: Iterable[str]) -> int:
        """The hub's receipt: committed there, so retire here (from pending too: receipts may beat PUBACKs)."""
        return self._update_many("UPDATE outbox SET state = 'acked', acked_at = ? "
                                 "WHERE record_id = ? AND state IN ('pending', 'sent', 'thinned')",
                                 record_ids, with_time=True)

    def mark_rejected(self, record_id: str, reason: str) -> bool:
        with self._lock, self.db.atomic():
            cursor = self.db.execute("UPDATE outbox SET state = 'rejected', reject_reason = ?, acked_at = ? "
                                     "WHERE record_id = ? AND state IN ('pending', 'sent')",
                                     [reason[:200], iso(self.clock()), record_id])
        if cursor.rowcount:
            log.warning("%s: hub rejected record %s: %s", self.device_id, record_id, reason)
        return bool(cursor.rowcount)

    def requeue_sent(self, older_than: timedelta | None = None) -> int:
        """sent -> pending, for records whose receipt never came (reconnect, hub restart, timeout)."""
        with self._lock, self.db.atomic():
            if older_than is None:
                cursor = self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sent'")
            else:
                cursor = self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sent' AND sent_at < ?",
                                         [iso(self.clock() - older_than)])
        return cursor.rowcount

    def requeue(self, record_ids: Iterable[str]) -> int:
        """sent -> pending for specific records (the engine's ack timeout)."""
        return self._update_many("UPDATE outbox SET state = 'pending' WHERE record_id = ? AND state = 'sent'",
                                 record_ids)

    def thin_positions(self, threshold: int = 20_000, min_interval_s: float = 30.0) -> int:
        """When unsent positions pile up past ``threshold`` (weeks offline), keep one per
        ``min_interval_s`` and mark the rest 'thinned'. Reports and check-ins are never thinned."""
        with self._lock:
            backlog = self.db.execute("SELECT count(*) FROM outbox WHERE kind = 'position' AND state = 'pending'"
                                      ).fetchone()[0]
            if backlog <= threshold:
                return 0
            rows = self.db.execute("SELECT record_id, created_at FROM outbox WHERE kind = 'position' "
                                   "AND state = 'pending' ORDER BY seq").fetchall()
            drop: list[str] = []
            last_kept: datetime | None = None
            for record_id, created in rows:
                moment = datetime.fromisoformat(created)
                if last_kept is not None and (moment - last_kept).total_seconds() < min_interval_s:
                    drop.append(record_id)
                else:
                    last_kept = moment
            with self.db.atomic():
                self.db.conn.executemany(
                    "UPDATE outbox SET state = 'thinned' WHERE record_id = ? AND state = 'pending'",
                    [(r,) for r in drop])
        log.warning("%s: thinned %d of %d unsent positions to one per %ss", self.device_id, len(drop), backlog,
                    min_interval_s)
        return len(drop)

    def _update_many(self, sql: str, ids: Iterable[str], with_time: bool = False) -> int:
        ids = list(ids)
        if not ids:
            return 0
        with self._lock, self.db.atomic():
            now = iso(self.clock())
            params = [(now, i) for i in ids] if with_time else [(i,) for i in ids]
            before = self.db.conn.total_changes
            self.db.conn.executemany(sql, params)
            return self.db.conn.total_changes - before

    # --- photo chunks -----------------------------------------------------------------------
    def pending_chunks(self, limit: int) -> list[ChunkRef]:
        with self._lock:
            rows = self.db.execute(
                "SELECT c.sha256, c.idx, p.chunk_count, p.size, p.chunk_size, p.path FROM photo_chunks c "
                "JOIN photos p ON p.sha256 = c.sha256 WHERE c.state = 'pending' AND p.state = 'pending' "
                "ORDER BY p.rowid, c.idx LIMIT ?", [limit]).fetchall()
        return [ChunkRef(*row) for row in rows]

    def mark_chunks_sent(self, chunks: Iterable[tuple[str, int]]) -> int:
        return self._update_chunks("UPDATE photo_chunks SET state = 'sent', sent_at = ?, attempts = attempts + 1 "
                                   "WHERE sha256 = ? AND idx = ? AND state = 'pending'", chunks)

    def mark_chunks_acked(self, chunks: Iterable[tuple[str, int]]) -> int:
        changed = self._update_chunks("UPDATE photo_chunks SET state = 'acked', acked_at = ? "
                                      "WHERE sha256 = ? AND idx = ? AND state != 'acked'", chunks)
        with self._lock, self.db.atomic():  # a photo with every chunk acked now waits for the hub's verdict
            self.db.execute("UPDATE photos SET state = 'uploaded' WHERE state = 'pending' AND NOT EXISTS "
                            "(SELECT 1 FROM photo_chunks c WHERE c.sha256 = photos.sha256 AND c.state != 'acked')")
        return changed

    def _update_chunks(self, sql: str, chunks: Iterable[tuple[str, int]], with_time: bool = True) -> int:
        chunks = list(chunks)
        if not chunks:
            return 0
        with self._lock, self.db.atomic():
            now = iso(self.clock())
            before = self.db.conn.total_changes
            params = [(now, sha, idx) if with_time else (sha, idx) for sha, idx in chunks]
            self.db.conn.executemany(sql, params)
            return self.db.conn.total_changes - before

    def requeue_sent_chunks(self, older_than: timedelta | None = None) -> int:
        with self._lock, self.db.atomic():
            if older_than is None:
                cursor = self.db.execute("UPDATE photo_chunks SET state = 'pending' WHERE state = 'sent'")
            else:
                cursor = self.db.execute("UPDATE photo_chunks SET state = 'pending' WHERE state = 'sent' "
                                         "AND sent_at < ?", [iso(self.clock() - older_than)])
        return cursor.rowcount

    def requeue_chunks(self, chunks: Iterable[tuple[str, int]]) -> int:
        return self._update_chunks("UPDATE photo_chunks SET state = 'pending' WHERE sha256 = ? AND idx = ? "
                                   "AND state = 'sent'", chunks, with_time=False)

    def mark_photo_verified(self, sha256: str) -> None:
        with self._lock, self.db.atomic():
            self.db.execute("UPDATE photos SET state = 'verified', reason = NULL WHERE sha256 = ?", [sha256])

    def reset_photo(self, sha256: str, reason: str) -> None:
        """The hub's assembled photo failed its hash check: send every chunk again."""
        with self._lock, self.db.atomic():
            self.db.execute("UPDATE photos SET state = 'pending', attempts = attempts + 1, reason = ? "
                            "WHERE sha256 = ? AND state != 'corrupt'", [reason[:200], sha256])
            self.db.execute("UPDATE photo_chunks SET state = 'pending', acked_at = NULL WHERE sha256 = ?", [sha256])

    def requeue_unverified_photos(self, older_than: timedelta | None = None) -> int:
        """Photos fully acknowledged chunk by chunk but with no verdict from the hub (the receipt carrying it was
        lost, or the app died before storing it): send the last chunk again, which makes the hub answer again."""
        cutoff = iso(self.clock() - older_than) if older_than is not None else None
        with self._lock:
            stuck = [row[0] for row in self.db.execute(
                "SELECT p.sha256 FROM photos p JOIN photo_chunks c ON c.sha256 = p.sha256 WHERE p.state = 'uploaded' "
                "GROUP BY p.sha256 HAVING ? IS NULL OR max(c.acked_at) < ?", [cutoff, cutoff])]
        if not stuck:
            return 0
        with self._lock, self.db.atomic():
            for sha in stuck:
                self.db.execute("UPDATE photos SET state = 'pending' WHERE sha256 = ?", [sha])
                self.db.execute("UPDATE photo_chunks SET state = 'pending' WHERE sha256 = ? AND idx = "
                                "(SELECT max(idx) FROM photo_chunks WHERE sha256 = ?)", [sha, sha])
        return len(stuck)

    def mark_photo_corrupt(self, sha256: str, reason: str) -> None:
        """The local file is gone or altered: stop sending it, keep it visible for an operator."""
        with self._lock, self.db.atomic():
            self.db.execute("UPDATE photos SET state = 'corrupt', reason = ? WHERE sha256 = ?", [reason[:200], sha256])

    def photo_states(self) -> dict[str, int]:
        with self._lock:
            return dict(self.db.execute("SELECT state, count(*) FROM photos GROUP BY state").fetchall())

    def chunk_states(self, sha256: str) -> dict[int, str]:
        with self._lock:
            return dict(self.db.execute("SELECT idx, state FROM photo_chunks WHERE sha256 = ? ORDER BY idx",
                                        [sha256]).fetchall())

    def upload_progress(self) -> tuple[int, int]:
        """(acked, total) chunks over photos still uploading."""
        with self._lock:
            acked, total = self.db.execute(
                "SELECT coalesce(sum(c.state = 'acked'), 0), count(*) FROM photo_chunks c "
                "JOIN photos p ON p.sha256 = c.sha256 WHERE p.state IN ('pending', 'uploaded')").fetchone()
        return acked, total

    def corrupt_photos(self) -> list[tuple[str, str]]:
        with self._lock:
            return self.db.execute("SELECT sha256, reason FROM photos WHERE state = 'corrupt'").fetchall()

    # --- downlink inbox ---------------------------------------------------------------------
    def store_downlink(self, message: DownlinkMessage) -> bool:
        """True if new. Keyed by the hub's message id, so a re-sent message is stored (and applied) once."""
        with self._lock, self.db.atomic():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO inbox (id, kind, body, created_at, received_at, expires_at, state, applied, "
                "confirm_state) VALUES (?, ?, ?, ?, ?, ?, 'delivered', 0, 'pending')",
                [message.id, message.kind, json.dumps(message.body, ensure_ascii=False), iso(message.created_at),
                 iso(self.clock()), iso(message.expires_at) if message.expires_at else None])
        return bool(cursor.rowcount)

    def inbox(self, *, unapplied_only: bool = False) -> list[InboxEntry]:
        return self._inbox_rows("WHERE applied = 0" if unapplied_only else "", [])

    def inbox_entry(self, message_id: str) -> InboxEntry | None:
        rows = self._inbox_rows("WHERE id = ?", [message_id])
        return rows[0] if rows else None

    def _inbox_rows(self, where: str, params: list[Any]) -> list[InboxEntry]:
        with self._lock:
            rows = self.db.execute("SELECT id, kind, body, created_at, received_at, expires_at, state, applied, "
                                   f"confirm_state FROM inbox {where} ORDER BY id", params).fetchall()
        return [InboxEntry(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6], bool(r[7]), r[8]) for r in rows]

    def mark_applied(self, message_id: str) -> bool:
        """Once per message: returns False if it was already applied (or is unknown)."""
        with self._lock, self.db.atomic():
            return bool(self.db.execute("UPDATE inbox SET applied = 1 WHERE id = ? AND applied = 0",
                                        [message_id]).rowcount)

    def mark_read(self, message_id: str) -> None:
        with self._lock, self.db.atomic():
            self.db.execute("UPDATE inbox SET state = 'read', confirm_state = 'pending' WHERE id = ? "
                            "AND state != 'read'", [message_id])

    def unconfirmed_downlinks(self) -> list[tuple[str, str]]:
        """(id, state) of inbox messages whose confirmation the hub has not yet receipted."""
        with self._lock:
            return self.db.execute("SELECT id, state FROM inbox WHERE confirm_state != 'confirmed' ORDER BY id"
                                   ).fetchall()

    def mark_confirmed(self, message_ids: Iterable[str]) -> int:
        return self._update_many("UPDATE inbox SET confirm_state = 'confirmed' WHERE id = ?", message_ids)

    # --- figures ----------------------------------------------------------------------------
    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {state: n}} over the whole outbox, every state present (zeros included)."""
        result = {kind: dict.fromkeys(OUTBOX_STATES, 0) for kind in ("report", "checkin", "position")}
        with self._lock:
            for kind, state, n in self.db.execute("SELECT kind, state, count(*) FROM outbox GROUP BY kind, state"):
                result.setdefault(kind, dict.fromkeys(OUTBOX_STATES, 0))[state] = n
        return result

    def outbox_depth(self) -> int:
        """Records the hub has not receipted yet (pending + sent)."""
        with self._lock:
            return self.db.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sent')").fetchone()[0]

    def photos_pending(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM photos WHERE state IN ('pending', 'uploaded')").fetchone()[0]

    def chunks_pending(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM photo_chunks c JOIN photos p ON p.sha256 = c.sha256 "
                                   "WHERE c.state != 'acked' AND p.state = 'pending'").fetchone()[0]


def _validated_payload(message: BaseModel) -> bytes:
    """Encode and decode again exactly as the hub will, so the device never queues what the hub refuses."""
    payload = encode(message)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"{type(message).__name__} is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES} limit")
    decode(type(message), payload, getattr(message, "device_id", None))
    return payload


def read_ledger(path: Path | str) -> dict[int, str]:
    """{seq: outbox state} of a device database, opened read-only (safe while the device runs).

    For audits that compare what a device created with what the hub stored."""
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute("SELECT seq, state FROM outbox"))
    finally:
        conn.close()
