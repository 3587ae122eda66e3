"""A damaged or missing local photo file: detected, parked as corrupt with a reason, reported in the device
status and the log, never sent as garbage, never blocking the queue - its record and everything after still sync.

(tests/terminal/test_sync_photos.py covers a file with its tail overwritten; here: a truncated file, a deleted
file, a file damaged between two runs of a half-finished upload, and the heartbeat not counting a parked photo
as still pending.)"""
from __future__ import annotations

import hashlib
import logging

from protocol import Heartbeat
from terminal.photos import synthetic_photo

from .helpers import wait_until

SMALL_CHUNKS = 4 * 1024


def _report_with(device, *photos):
    return device.report("litter", 22.25, 113.53, photos=list(photos))


def test_truncated_photo_file_is_parked_and_reported_while_its_record_and_the_rest_sync(hub, make_device, caplog):
    device = make_device(start=False, chunk_size=SMALL_CHUNKS, heartbeat_interval=0.5)
    bad, good = synthetic_photo(21), synthetic_photo(22)
    bad_sha, good_sha = (hashlib.sha256(p).hexdigest() for p in (bad, good))
    report = _report_with(device, bad, good)
    path = device.store.photos.path_for(bad_sha)
    path.write_bytes(path.read_bytes()[: len(bad) // 3])  # power cut while the photo was being copied
    later = [device.position(22.25, 113.53 + i * 1e-5).id for i in range(5)]
    with caplog.at_level(logging.ERROR, logger="terminal.sync"):
        device.start()
        assert device.wait_drained(30), device.status()
    assert {report.id, *later} <= set(hub.records)
    assert good_sha in hub.verified and bad_sha not in hub.verified
    assert not any(s == bad_sha for s, _ in hub.chunk_arrivals), "a damaged photo must not be sent at all"
    assert device.store.corrupt_photos() == [(bad_sha, "hash mismatch")]
    status = device.status()
    assert status.corrupt_photos == 1 and status.photos_pending == 0
    assert any(bad_sha[:12] in r.getMessage() and "hash mismatch" in r.getMessage() for r in caplog.records)
    # the heartbeat does not report the parked photo as still to come
    assert wait_until(lambda: any(isinstance(h, Heartbeat) and h.photos_pending == 0 for h in hub.heartbeats), 10)


def test_deleted_photo_file_is_reported_missing_and_the_queue_goes_on(hub, make_device):
    device = make_device(start=False, chunk_size=SMALL_CHUNKS)
    photo = synthetic_photo(23)
    sha = hashlib.sha256(photo).hexdigest()
    report = _report_with(device, photo)
    device.store.photos.path_for(sha).unlink()
    after = device.checkin("wellbeing", resident_key_hex="c" * 64, lat=22.25, lon=113.53)
    device.start()
    assert device.wait_drained(30), device.status()
    assert {report.id, after.id} <= set(hub.records)
    assert device.store.corrupt_photos() == [(sha, "file missing")]
    assert device.status().corrupt_photos == 1


def test_photo_damaged_between_runs_of_a_half_finished_upload_is_not_completed_with_garbage(hub, make_device):
    hub.chunk_ack_limit = 3  # the hub takes the first chunks, then the link "stalls"
    device = make_device("halfway", chunk_size=SMALL_CHUNKS, ack_timeout=1.0)
    photo = synthetic_photo(24)
    sha = hashlib.sha256(photo).hexdigest()
    report = _report_with(device, photo)
    assert wait_until(lambda: sum(s == "acked" for s in device.store.chunk_states(sha).values()) >= 3, 20)
    device.stop()
    path = device.store.photos.path_for(sha)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte in a chunk not yet sent
    path.write_bytes(bytes(raw))
    hub.chunk_ack_limit = None
    again = make_device("halfway", chunk_size=SMALL_CHUNKS, ack_timeout=1.0)  # same id and data dir: a restart
    after = again.position(22.25, 113.53)
    assert again.wait_drained(30), again.status()
    assert {report.id, after.id} <= set(hub.records)
    assert sha not in hub.verified and not hub.verify_failures
    assert again.store.corrupt_photos() == [(sha, "hash mismatch")]
    assert again.status().corrupt_photos == 1
