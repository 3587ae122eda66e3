"""A receipt that defers uplinks (the hub's per-device rate limit): they stay pending, not rejected; nothing is
re-sent before retry_after_s; then they go again and retire exactly once. Downlinks keep flowing meanwhile."""
from __future__ import annotations

import hashlib
import time

from protocol import ChunkAck, Deferral, UplinkKind
from terminal.photos import synthetic_photo

from .helpers import wait_until

HOLD_S = 1.5


def deferral(record, retry_after_s: float = HOLD_S) -> Deferral:
    return Deferral(kind=UplinkKind.POSITION, id=record.id, retry_after_s=retry_after_s)


def arrivals(hub, ids) -> int:
    with hub.lock:
        return sum(1 for rid, _ in hub.record_arrivals if rid in ids)


def test_deferred_records_stay_pending_wait_and_then_retire_once(hub, make_device):
    hub.answering = False
    device = make_device(ack_timeout=600)
    made = [device.position(22.25, 113.53 + i * 1e-5) for i in range(10)]
    assert hub.wait_for(lambda h: len(h.records) == 10)
    stored, put_off = made[:4], made[4:]
    put_off_ids = {r.id for r in put_off}
    hub.send_receipt(device.device_id, committed=[r.id for r in stored], deferred=[deferral(r) for r in put_off])
    told_at = time.monotonic()
    # the receipt's two halves are applied one after the other: wait for both, then look
    assert wait_until(lambda: (c := device.store.counts()["position"])["acked"] == 4 and c["sent"] == 0)
    counts = device.store.counts()["position"]
    assert (counts["pending"], counts["rejected"]) == (6, 0)
    assert device.status().held_for_s > 0.5

    # Meanwhile the hub's downlinks still arrive and are confirmed.
    message = hub.send_downlink(device.device_id, kind="notice", body={"title": "停水通知"})
    assert hub.wait_for(lambda h: message.id in [c.message_id for c in h.confirms], timeout=HOLD_S)
    # A new record joins the queue behind the hold instead of jumping it.
    newcomer = device.position(22.26, 113.54)
    while time.monotonic() - told_at < HOLD_S - 0.2:
        assert arrivals(hub, put_off_ids | {newcomer.id}) == 6, "re-sent before retry_after_s"
        time.sleep(0.05)

    hub.answering = True
    assert hub.wait_for(lambda h: sum(1 for rid, _ in h.record_arrivals if rid in put_off_ids) >= 12, timeout=10)
    assert time.monotonic() - told_at >= HOLD_S
    assert device.wait_drained(10)
    counts = device.store.counts()["position"]
    assert (counts["acked"], counts["rejected"], counts["pending"], counts["sent"]) == (11, 0, 0, 0)
    assert set(hub.records) == {r.id for r in made} | {newcomer.id}
    assert device.status().held_for_s == 0


def test_a_late_deferral_never_revives_a_retired_record(hub, make_device):
    hub.answering = False
    device = make_device(ack_timeout=600)
    record = device.position(22.25, 113.53)
    assert hub.wait_for(lambda h: record.id in h.records)
    hub.send_receipt(device.device_id, committed=[record.id])
    assert wait_until(lambda: device.store.counts()["position"]["acked"] == 1)
    # A second copy (a re-send after a timeout) was over the limit: the hub says so after the commit.
    hub.send_receipt(device.device_id, deferred=[deferral(record, 0.2)])
    time.sleep(1.0)
    assert device.store.counts()["position"]["acked"] == 1 and device.status().pending == 0
    assert arrivals(hub, {record.id}) == 1


def test_deferred_photo_chunks_wait_then_finish_the_upload(hub, make_device):
    hub.chunk_ack_limit = 0  # receive, but acknowledge no chunk: the test answers them itself
    photo = synthetic_photo(21)
    sha = hashlib.sha256(photo).hexdigest()
    device = make_device(chunk_size=4 * 1024, chunk_window=4, ack_timeout=600)
    report = device.report("litter", 22.25, 113.53, photos=[photo])
    assert hub.wait_for(lambda h: len({i for s, i in h.chunk_arrivals if s == sha}) >= 4)
    with hub.lock:
        first = sorted({i for s, i in hub.chunk_arrivals if s == sha})[:4]
        seen = len(hub.chunk_arrivals)
    hub.send_receipt(device.device_id, deferred=[
        Deferral(kind=UplinkKind.PHOTO_CHUNK, chunk=ChunkAck(sha256=sha, index=i), retry_after_s=HOLD_S)
        for i in first])
    assert wait_until(lambda: device.status().held_for_s > 0)
    time.sleep(HOLD_S - 0.4)
    with hub.lock:
        assert len(hub.chunk_arrivals) == seen, "chunks re-sent before retry_after_s"
    assert set(device.store.chunk_states(sha).values()) == {"pending"}
    hub.chunk_ack_limit = None
    assert device.wait_drained(30)
    assert sha in hub.verified and report.id in hub.records
    assert device.store.photo_states() == {"verified": 1}


def test_a_deferred_confirmation_is_sent_again_after_the_wait(hub, make_device):
    hub.answering = False  # confirmations arrive but are not receipted: the device still owes them
    device = make_device(ack_timeout=600)
    message = hub.send_downlink(device.device_id, kind="notice", body={"title": "停电通知"})
    assert hub.wait_for(lambda h: [c.message_id for c in h.confirms] == [message.id])
    hub.send_receipt(device.device_id, deferred=[Deferral(kind=UplinkKind.CONFIRM, id=message.id, retry_after_s=1.0)])
    told_at = time.monotonic()
    assert hub.wait_for(lambda h: len(h.confirms) == 2, timeout=10)
    assert time.monotonic() - told_at >= 1.0
    hub.send_receipt(device.device_id, confirmed=[message.id])
    assert wait_until(lambda: device.store.unconfirmed_downlinks() == [])
    time.sleep(1.0)
    assert len(hub.confirms) == 2
