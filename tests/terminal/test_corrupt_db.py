"""A damaged terminal database is detected at open with a clear error, never silently written to."""
from __future__ import annotations

import logging

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


def test_a_fleet_with_one_corrupt_database_leaves_that_device_out_and_the_rest_syncs(hub, own_broker, tmp_path,
                                                                                      unique, caplog):
    from terminal.simulate import device_ids, run_simulation

    broken, healthy = device_ids(f"t{unique}", 2)
    (tmp_path / broken).mkdir()
    garbage = b"flash wear " * 600
    (tmp_path / broken / "terminal.db").write_bytes(garbage)
    with caplog.at_level(logging.ERROR, logger="terminal.simulate"):
        totals = run_simulation(own_broker.url, tmp_path, count=2, rate=10, duration=1.0,
                                device_prefix=f"t{unique}", drain_timeout=20)
    assert totals.corrupt_stores == [broken] and totals.devices == [healthy]
    assert totals.drained and totals.created > 0 and totals.acknowledged == totals.created
    assert any(broken in r.getMessage() and "corrupt" in r.getMessage() for r in caplog.records)
    assert (tmp_path / broken / "terminal.db").read_bytes() == garbage  # kept for recovery
    assert hub.records and all(r.device_id == healthy for r in hub.records.values())
