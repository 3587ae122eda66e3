"""A damaged terminal database is detected at open with a clear error, never silently written to."""
from __future__ import annotations

import pytest

from terminal.schema import CorruptStoreError
from terminal.store import TerminalStore

from .helpers import SPOT


def test_garbage_file_is_reported_corrupt(tmp_path):
    path = tmp_path / "terminal.db"
    path.write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(CorruptStoreError, match="corrupt") as info:
        TerminalStore(path, "kiosk-01")
    assert info.value.path == path
    assert path.read_bytes().startswith(b"this is not sqlite")  # left untouched for recovery


def test_damaged_btree_page_is_found_by_quick_check(tmp_path):
    path = tmp_path / "terminal.db"
    store = TerminalStore(path, "kiosk-01")
    for _ in range(400):
        store.record_position(SPOT)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = store.db.execute("PRAGMA page_size").fetchone()[0]
    root = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
    store.close()
    raw = bytearray(path.read_bytes())
    start = (root - 1) * page_size  # the records table's root page: scribble over its cell area
    raw[start + 8:start + page_size] = b"\xa5" * (page_size - 8)
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptStoreError):
        TerminalStore(path, "kiosk-01")
