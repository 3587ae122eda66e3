"""Photo uploads: per-chunk acks, resume after a link drop, whole resend on a failed hash, corrupt files skipped."""
from __future__ import annotations

import hashlib
from collections import Counter

from terminal.photos import synthetic_photo

from .helpers import wait_until

SMALL_CHUNKS = 4 * 1024


def test_upload_resumes_at_first_unacked_chunk_after_link_drop(hub, make_device, own_broker):
    photo = synthetic_photo(11)
    sha = hashlib.sha256(photo).hexdigest()
    hub.chunk_ack_limit = 5  # the hub "dies" before committing chunk 5 onwards
    device = make_device(chunk_size=SMALL_CHUNKS, chunk_window=3, ack_timeout=600)
    report = device.report("litter", 22.25, 113.53, photos=[photo])
    count = report.photos[0].chunks
    assert count > 8
    assert wait_until(lambda: list(device.store.chunk_states(sha).values())[:5] == ["acked"] * 5)
    acked_before = {i for i, s in device.store.chunk_states(sha).items() if s == "acked"}
    assert acked_before == set(range(5))
    with hub.lock:
        seen_before = len(hub.chunk_arrivals)
    assert device.status().upload_chunks_acked == 5 and device.status().upload_chunks_total == count

    hub.chunk_ack_limit = None
    own_broker.restart(down_for=0.5)
    assert device.wait_drained(30)
    with hub.lock:
        after = [idx for s, idx in hub.chunk_arrivals[seen_before:] if s == sha]
    assert not acked_before & set(after), f"acked chunks sent again: {sorted(acked_before & set(after))}"
    assert set(after) == set(range(5, count))
    assert sha in hub.verified and device.store.photo_states() == {"verified": 1}


def test_failed_hash_check_resends_the_whole_photo(hub, make_device):
    photo = synthetic_photo(12)
    sha = hashlib.sha256(photo).hexdigest()
    hub.fail_photo_once.add(sha)
    device = make_device(chunk_size=SMALL_CHUNKS)
    report = device.report("litter", 22.25, 113.53, photos=[photo])
    assert device.wait_drained(30)
    assert hub.verify_failures == [sha] and sha in hub.verified
    per_chunk = Counter(idx for s, idx in hub.chunk_arrivals if s == sha)
    assert all(per_chunk[i] == 2 for i in range(report.photos[0].chunks))
    attempts = device.store.db.execute("SELECT attempts FROM photos WHERE sha256 = ?", [sha]).fetchone()[0]
    assert attempts == 1


def test_lost_verdict_is_asked_for_again_with_one_chunk_not_the_whole_photo(hub, make_device):
    # Every chunk acknowledged, but the receipt with the hub's verdict never arrives (or the app died first).
    photo = synthetic_photo(13)
    sha = hashlib.sha256(photo).hexdigest()
    hub.lose_verdict_once.add(sha)
    device = make_device(chunk_size=SMALL_CHUNKS, ack_timeout=1.0)
    count = device.report("litter", 22.25, 113.53, photos=[photo]).photos[0].chunks
    assert device.wait_drained(30), device.store.photo_states()
    assert device.store.photo_states() == {"verified": 1}
    per_chunk = Counter(idx for s, idx in hub.chunk_arrivals if s == sha)
    assert per_chunk == Counter({**dict.fromkeys(range(count - 1), 1), count - 1: 2})


def test_corrupt_local_photo_is_reported_and_the_rest_still_syncs(hub, make_device):
    device = make_device(start=False, chunk_size=SMALL_CHUNKS)
    bad, good = synthetic_photo(13), synthetic_photo(14)
    bad_sha, good_sha = (hashlib.sha256(p).hexdigest() for p in (bad, good))
    report = device.report("litter", 22.25, 113.53, photos=[bad, good])
    after = device.position(22.25, 113.53)
    path = device.store.photos.path_for(bad_sha)
    path.write_bytes(path.read_bytes()[:-100] + b"\0" * 100)  # flash wear, a bad copy, ...
    device.start()
    assert device.wait_drained(30)
    assert {report.id, after.id} <= set(hub.records)
    assert good_sha in hub.verified and bad_sha not in hub.verified
    assert device.status().corrupt_photos == 1
    assert device.store.corrupt_photos() == [(bad_sha, "hash mismatch")]
