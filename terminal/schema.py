"""Opening the terminal database: durability pragmas, corruption check, tables.

Durability choice: ``journal_mode=WAL`` with ``synchronous=FULL``. In WAL mode NORMAL keeps the
file consistent after a power cut but may lose the last commits (the WAL is fsynced only at
checkpoints). A record the UI has shown as "saved" must survive the cut, so every commit
fsyncs the WAL (FULL). The cost is one fsync per transaction, affordable at a few records/s;
state changes are batched per receipt to keep it that way.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SCHEMA_VERSION = 1


class CorruptStoreError(RuntimeError):
    """The terminal database failed its integrity check; the app must not write to it."""

    def __init__(self, path: Path, detail: str):
        super().__init__(
            f"terminal database {path} is corrupt ({detail}); keep the file for recovery "
            "(sqlite3 .recover) and do not delete it: it may hold records not yet on the hub"
        )
        self.path = path
        self.detail = detail


def open_database(path: Path) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection shared by the app's threads and the sync worker, serialised by the store's lock.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
        conn.close()
        raise CorruptStoreError(path, str(exc)) from exc
    if problems != ["ok"]:
        conn.close()
        raise CorruptStoreError(path, "; ".join(problems))
    db = sqlite_utils.Database(conn, execute_plugins=False)
    _create_tables(db)
    return db


def _create_tables(db: sqlite_utils.Database) -> None:
    with db.atomic():
        db.table("records").create(
            {"id": str, "seq": int, "kind": str, "payload": str, "created_at": str},
            pk="id", not_null={"seq", "kind", "payload", "created_at"}, if_not_exists=True,
        )
        db.table("outbox").create(
            # seq is copied from records so "oldest first" and thinning need no join.
            {"record_id": str, "seq": int, "kind": str, "state": str, "attempts": int,
             "created_at": str, "sent_at": str, "acked_at": str, "reject_reason": str},
            pk="record_id", not_null={"seq", "kind", "state", "attempts", "created_at"},
            defaults={"state": "pending", "attempts": 0},
            foreign_keys=[("record_id", "records", "id")], if_not_exists=True,
        )
        db.table("photos").create(
            {"sha256": str, "size": int, "path": str, "chunk_size": int, "chunk_count": int,
             "state": str, "attempts": int, "reason": str, "created_at": str},
            pk="sha256", not_null={"size", "path", "chunk_size", "chunk_count", "state", "created_at"},
            defaults={"attempts": 0}, if_not_exists=True,
        )
        db.table("photo_chunks").create(
            {"sha256": str, "idx": int, "state": str, "attempts": int, "sent_at": str, "acked_at": str},
            pk=("sha256", "idx"), not_null={"state", "attempts"}, defaults={"state": "pending", "attempts": 0},
            foreign_keys=[("sha256", "photos", "sha256")], if_not_exists=True,
        )
        db.table("inbox").create(
            {"id": str, "kind": str, "body": str, "created_at": str, "received_at": str, "expires_at": str,
             "state": str, "applied": int, "confirm_state": str},
            pk="id", not_null={"kind", "body", "received_at", "state", "applied", "confirm_state"},
            defaults={"state": "delivered", "applied": 0, "confirm_state": "pending"}, if_not_exists=True,
        )
        db.table("settings").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        db.table("records").create_index(["seq"], unique=True, if_not_exists=True)
        db.table("outbox").create_index(["state", "seq"], if_not_exists=True)
        db.table("outbox").create_index(["kind", "state"], if_not_exists=True)
        db.table("photo_chunks").create_index(["state"], if_not_exists=True)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
