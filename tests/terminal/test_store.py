"""TerminalStore on real SQLite files: atomic capture, outbox states, ordering, thinning, validation."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from protocol import IncidentReport, decode, uuid7_unix_ms
from terminal.photos import synthetic_photo
from terminal.store import TerminalStore

from .helpers import SPOT, StepClock


@pytest.fixture
def clock():
    return StepClock()


@pytest.fixture
def store(tmp_path, clock):
    s = TerminalStore(tmp_path / "t.db", "kiosk-01", clock=clock, chunk_size=8 * 1024)
    yield s
    s.close()


def test_record_and_outbox_row_written_together(store, clock):
    report = store.record_report("litter", SPOT, note="behind block 3", photos=[synthetic_photo(1)])
    assert report.seq == 1 and report.created_at == clock.now
    assert uuid7_unix_ms(report.id) == int(clock.now.timestamp() * 1000)
    [item] = store.pending_outbox(10)
    assert item.record_id == report.id and item.kind == "report"
    assert decode(IncidentReport, item.payload, "kiosk-01") == report  # exactly what the hub will decode
    sha = report.photos[0].sha256
    assert set(store.chunk_states(sha).values()) == {"pending"}
    assert len(store.chunk_states(sha)) == report.photos[0].chunks > 1


def test_failed_insert_leaves_nothing_partial(store):
    store.record_position(SPOT)
    # A real SQLite failure in the middle of the transaction: the outbox insert aborts.
    store.db.execute("CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox WHEN NEW.kind = 'report' "
                     "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
        store.record_report("litter", SPOT, photos=[synthetic_photo(2)])
    assert store.db["records"].count == 1
    assert store.db["outbox"].count == 1
    assert store.db["photos"].count == 0 and store.db["photo_chunks"].count == 0
    store.db.execute("DROP TRIGGER fail_outbox")
    # The sequence did not advance for the failed record: still gap-free.
    assert store.record_report("litter", SPOT).seq == 2


def test_invalid_message_is_refused_before_storing(store):
    with pytest.raises(ValueError):
        store.record_report("bad category with spaces", SPOT)
    with pytest.raises(ValueError):
        store.record_checkin("wellbeing", "not-a-hex-key")
    assert store.db["records"].count == 0 and store.get_setting("next_seq") == "1"


def test_outbox_states_and_oldest_first(store):
    ids = [store.record_position(SPOT).id for _ in range(5)]
    assert [i.record_id for i in store.pending_outbox(3)] == ids[:3]
    assert store.mark_sent(ids[:3]) == 3
    assert [i.record_id for i in store.pending_outbox(10)] == ids[3:]
    # Receipts may arrive before PUBACKs: acking works from pending too; PUBACK never un-acks.
    assert store.mark_acked([ids[0], ids[3]]) == 2
    assert store.mark_sent([ids[3]]) == 0
    assert store.mark_rejected(ids[1], "conflict")
    assert not store.mark_rejected(ids[0], "too late")  # acked stays acked
    counts = store.counts()["position"]
    assert counts == {"pending": 1, "sent": 1, "acked": 2, "rejected": 1, "thinned": 0}
    assert store.outbox_depth() == 2
    assert store.requeue_sent() == 1
    assert [i.record_id for i in store.pending_outbox(10)] == [ids[2], ids[4]]
    assert [i.attempts for i in store.pending_outbox(10)] == [1, 0]


def test_requeue_sent_older_than(store, clock):
    old = store.record_position(SPOT).id
    store.mark_sent([old])
    clock.advance(60)
    new = store.record_position(SPOT).id
    store.mark_sent([new])
    assert store.requeue_sent(older_than=timedelta(seconds=30)) == 1
    assert [i.record_id for i in store.pending_outbox(10)] == [old]


def test_sequence_is_gap_free_across_kinds_and_reopen(tmp_path, clock):
    store = TerminalStore(tmp_path / "t.db", "patrol-7", clock=clock)
    seqs = [store.record_position(SPOT).seq, store.record_checkin("wellbeing", "a" * 64).seq,
            store.record_report("water", SPOT).seq]
    store.close()
    reopened = TerminalStore(tmp_path / "t.db", "patrol-7", clock=clock)
    seqs.append(reopened.record_position(SPOT).seq)
    assert seqs == [1, 2, 3, 4]
    assert reopened.outbox_depth() == 4
    reopened.close()
    with pytest.raises(ValueError, match="belongs to device"):
        TerminalStore(tmp_path / "t.db", "another-device", clock=clock)


def test_thinning_keeps_one_position_per_interval_and_never_reports(store, clock):
    for _ in range(100):
        store.record_position(SPOT)
        clock.advance(1)
    report = store.record_report("litter", SPOT)
    checkin = store.record_checkin("wellbeing", "b" * 64)
    assert store.thin_positions(threshold=200, min_interval_s=10) == 0  # below threshold: untouched
    thinned = store.thin_positions(threshold=50, min_interval_s=10)
    assert thinned == 90
    counts = store.counts()
    assert counts["position"]["pending"] == 10 and counts["position"]["thinned"] == 90
    assert counts["report"]["pending"] == 1 and counts["checkin"]["pending"] == 1
    kept = {i.record_id for i in store.pending_outbox(100)}
    assert {report.id, checkin.id} <= kept


def test_photo_chunks_states_and_reset(store):
    report = store.record_report("litter", SPOT, photos=[synthetic_photo(3)])
    sha, count = report.photos[0].sha256, report.photos[0].chunks
    chunks = store.pending_chunks(100)
    assert [(c.sha256, c.index) for c in chunks] == [(sha, i) for i in range(count)]
    store.mark_chunks_sent([(sha, 0), (sha, 1)])
    store.mark_chunks_acked([(sha, 0)])
    assert store.chunk_states(sha)[0] == "acked" and store.chunk_states(sha)[1] == "sent"
    assert store.requeue_sent_chunks() == 1
    assert [c.index for c in store.pending_chunks(100)] == list(range(1, count))
    store.mark_chunks_acked([(sha, i) for i in range(count)])
    assert store.photo_states() == {"uploaded": 1} and store.photos_pending() == 1
    store.reset_photo(sha, "sha256_mismatch")
    assert set(store.chunk_states(sha).values()) == {"pending"}
    store.mark_chunks_acked([(sha, i) for i in range(count)])
    store.mark_photo_verified(sha)
    assert store.photos_pending() == 0


def test_same_photo_twice_is_stored_once(store):
    photo = synthetic_photo(4)
    a = store.record_report("litter", SPOT, photos=[photo])
    b = store.record_report("litter", SPOT, photos=[photo])
    assert a.photos == b.photos
    assert store.db["photos"].count == 1
    assert store.db["photo_chunks"].count == a.photos[0].chunks


def test_durability_pragmas(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
