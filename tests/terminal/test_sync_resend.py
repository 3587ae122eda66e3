"""Unreceipted records are sent again: after an ack timeout, a reconnect, the hub's return, a device restart."""
from __future__ import annotations

import time
from collections import Counter

from protocol import Position
from terminal.store import TerminalStore

from .helpers import wait_until


def arrivals(hub) -> Counter:
    with hub.lock:
        return Counter(rid for rid, _ in hub.record_arrivals)


def test_resend_after_ack_timeout(hub, make_device):
    hub.answering = False
    device = make_device(ack_timeout=1.0)
    ids = [device.position(22.25, 113.53).id for _ in range(5)]
    assert hub.wait_for(lambda h: all(arrivals(h)[i] >= 2 for i in ids), timeout=10)
    hub.answering = True
    assert device.wait_drained(20)
    assert device.store.counts()["position"]["acked"] == 5


def test_resend_after_reconnect(hub, make_device, own_broker):
    hub.answering = False
    device = make_device(ack_timeout=600)  # only the reconnect can cause a resend here
    ids = [device.position(22.25, 113.53).id for _ in range(5)]
    assert hub.wait_for(lambda h: len(h.records) == 5)
    assert wait_until(lambda: device.store.counts()["position"]["sent"] == 5)
    time.sleep(0.5)
    assert all(arrivals(hub)[i] == 1 for i in ids), (dict(arrivals(hub)), ids)
    hub.answering = True
    own_broker.restart(down_for=0.5)
    assert device.wait_drained(30)
    assert all(arrivals(hub)[i] >= 2 for i in ids), (dict(arrivals(hub)), ids, device.store.counts()["position"])


def test_resend_when_hub_comes_back_online(hub, make_device):
    hub.publish_status("offline")
    hub.answering = False
    device = make_device(ack_timeout=600)
    assert wait_until(lambda: device.status().hub_online is False)
    ids = [device.position(22.25, 113.53).id for _ in range(5)]
    assert hub.wait_for(lambda h: len(h.records) == 5)
    hub.answering = True
    hub.publish_status("online")
    assert device.wait_drained(20)
    assert device.status().hub_online is True
    assert all(arrivals(hub)[i] == 2 for i in ids)


def test_restarted_device_resumes_its_outbox(hub, make_device, tmp_path, unique):
    device = make_device("resume", start=False, broker_url="mqtt://127.0.0.1:1")  # nothing listens there
    created = [device.position(22.25, 113.53).id for _ in range(20)]
    device.start()
    time.sleep(0.5)
    device.stop()  # never connected: everything is still in the outbox on disk
    store = TerminalStore(device.store.path, device.device_id)
    assert store.outbox_depth() == 20
    store.close()
    again = make_device("resume")  # same id, same data dir, a reachable broker
    more = again.position(22.25, 113.53).id
    assert again.wait_drained(20)
    assert set(hub.records) == set(created) | {more}
    assert [r.seq for r in sorted(hub.records.values(), key=lambda r: r.seq)] == list(range(1, 22))


def test_thinned_backlog_still_delivers_reports(hub, make_device):
    device = make_device(start=False)
    for _i in range(60):
        device.store.record_position(Position(lat=22.25, lon=113.53, accuracy_m=5))
    report = device.report("water", 22.25, 113.53)
    assert device.store.thin_positions(threshold=50, min_interval_s=3600) == 59
    device.start()
    assert device.wait_drained(20)
    assert report.id in hub.records
    assert device.store.counts()["position"] == {"pending": 0, "sent": 0, "acked": 1, "rejected": 0, "thinned": 59}
