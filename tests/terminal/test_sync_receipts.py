"""Records retire only on the hub's receipt; the outbox drains oldest first within a bounded window."""
from __future__ import annotations

import time

from .helpers import wait_until


def states(device, kind="position"):
    return device.store.counts()[kind]


def test_receipts_retire_records_oldest_first(hub, make_device):
    device = make_device()
    made = [device.position(22.25, 113.53 + i * 1e-5) for i in range(30)]
    made.append(device.checkin("wellbeing", resident_key_hex="c" * 64))
    made.append(device.report("litter", 22.25, 113.53, note="by the bins"))
    assert device.wait_drained(20)
    assert states(device)["acked"] == 30
    assert device.store.counts()["checkin"]["acked"] == 1 and device.store.counts()["report"]["acked"] == 1
    assert set(hub.records) == {r.id for r in made}
    first_seen = list(dict.fromkeys(seq for _, seq in hub.record_arrivals))
    # Oldest first. paho sends a publish from the calling thread when its window has room, while its loop thread
    # sends the ones that waited for room: two neighbours can cross on the wire (seen once in CI under load, 6
    # before 5). Order is not what keeps data safe (the hub takes records by id); allow such a crossing, no more.
    assert sorted(first_seen) == list(range(1, 33))
    assert all(abs(position + 1 - seq) <= 1 for position, seq in enumerate(first_seen)), first_seen
    status = device.status()
    assert status.pending == 0 and status.last_sync_at is not None and status.online


def test_puback_alone_does_not_retire(hub, make_device):
    hub.answering = False
    device = make_device()
    ids = [device.position(22.25, 113.53).id for _ in range(10)]
    assert hub.wait_for(lambda h: len(h.records) == 10)
    assert wait_until(lambda: states(device)["sent"] == 10)  # PUBACKed: the broker has them
    time.sleep(1.0)
    assert states(device)["acked"] == 0 and device.status().pending == 10
    hub.receipt_everything_for(device.device_id)
    assert wait_until(lambda: states(device)["acked"] == 10)
    assert set(ids) == set(hub.records)


def test_in_flight_window_is_bounded(hub, make_device):
    hub.answering = False
    device = make_device(window=40)
    for i in range(150):
        device.position(22.25, 113.53 + i * 1e-6)
    assert hub.wait_for(lambda h: len(h.records) >= 40)
    assert wait_until(lambda: states(device)["sent"] >= 40)  # PUBACKs processed
    time.sleep(1.0)  # give it every chance to overshoot
    assert (len(hub.records), len(hub.record_arrivals)) == (40, 40), device.status()
    assert device.status().in_flight == 40
    assert (states(device)["sent"], states(device)["pending"]) == (40, 110)
    hub.answering = True
    hub.receipt_everything_for(device.device_id)
    assert device.wait_drained(20)
    assert len(hub.records) == 150


def test_rejected_records_leave_the_outbox_with_reason(hub, make_device):
    device = make_device(start=False)
    bad = device.position(22.25, 113.53)
    good = device.position(22.25, 113.53)
    hub.reject[bad.id] = "conflict"
    device.start()
    assert device.wait_drained(20)
    counts = states(device)
    assert counts["rejected"] == 1 and counts["acked"] == 1
    reason = device.store.db.execute("SELECT reject_reason FROM outbox WHERE record_id = ?", [bad.id]).fetchone()[0]
    assert reason == "conflict"
    assert good.id in hub.records and bad.id not in hub.records
