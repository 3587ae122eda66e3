"""Store contract, downlinks and presence: queued -> sent -> delivered -> read, expiry, who is online."""
from __future__ import annotations

from datetime import timedelta

from hub.mqtt.ingest import RawMessage, ingest_batch

from ..conftest import T0, Device, raw


def test_downlink_lifecycle(store, device, clock):
    message = store.queue_downlink(device.id, "task", {"title": "检查3号楼消防通道"})
    assert message.state == "queued" and message.body_dict() == {"title": "检查3号楼消防通道"}
    assert [m.id for m in store.downlinks_due(30)] == [message.id]  # never sent: due regardless of presence
    store.claim_downlinks([message])
    sent = store.get_downlink(message.id)
    assert (sent.state, sent.send_count, sent.last_sent_at) == ("sent", 1, T0)

    result = ingest_batch([raw(device.confirm(message.id))], store)
    assert result.devices[device.id].confirmed == [message.id]
    delivered = store.get_downlink(message.id)
    assert delivered.state == "delivered" and delivered.delivered_at == T0
    ingest_batch([raw(device.confirm(message.id, "read"))], store)
    ingest_batch([raw(device.confirm(message.id, "delivered"))], store)  # late, must not move it back
    assert store.get_downlink(message.id).state == "read"
    assert store.pending_downlinks(device.id) == []


def test_pending_and_resend_selection(store, device, clock):
    other = Device("tablet-other")
    mine = store.queue_downlink(device.id, "task", {"n": 1})
    theirs = store.queue_downlink(other.id, "task", {"n": 2})
    store.claim_downlinks([mine, theirs])
    assert [m.id for m in store.pending_downlinks(device.id)] == [mine.id]
    clock.advance(60)
    assert store.downlinks_due(30) == []  # sent, but nobody is online
    ingest_batch([RawMessage(*device.status("online"), clock())], store)
    assert [m.id for m in store.downlinks_due(30)] == [mine.id]
    assert store.downlinks_due(120) == []


def test_reconnect_resend_leaves_out_what_went_out_after_the_device_came_back(store, device, clock):
    before = store.queue_downlink(device.id, "task", {"n": 1})
    store.claim_downlinks([before])
    clock.advance(5)
    came_back = clock()
    never_sent = store.queue_downlink(device.id, "notice", {"n": 2})
    after = store.queue_downlink(device.id, "notice", {"n": 3})
    clock.advance(1)
    store.claim_downlinks([after])  # an operator's message, published to the new connection
    assert [m.id for m in store.pending_downlinks(device.id, sent_before=came_back)] == [before.id, never_sent.id]
    assert len(store.pending_downlinks(device.id)) == 3


def test_expiry(store, device, clock):
    short = store.queue_downlink(device.id, "notice", {}, expires_at=T0 + timedelta(seconds=10))
    lasting = store.queue_downlink(device.id, "notice", {})
    clock.advance(11)
    assert [m.id for m in store.pending_downlinks(device.id)] == [lasting.id]
    assert store.expire_downlinks() == 1
    assert store.get_downlink(short.id).state == "expired"
    assert store.expire_downlinks() == 0


def test_a_row_read_by_two_senders_is_claimed_once_and_an_expired_one_not_at_all(store, device, clock):
    message = store.queue_downlink(device.id, "notice", {"n": 1})
    short = store.queue_downlink(device.id, "notice", {"n": 2}, expires_at=T0 + timedelta(seconds=1))
    read_by_one, read_by_other = store.downlinks_due(30), store.downlinks_due(30)  # the API's send, the sweep
    assert {m.id for m in read_by_one} == {message.id, short.id}
    clock.advance(2)  # the short one expires between the read and the send
    claimed, at = store.claim_downlinks(read_by_one)
    assert [m.id for m in claimed] == [message.id] and at == clock()
    assert store.claim_downlinks(read_by_other)[0] == []
    assert (store.get_downlink(message.id).send_count, store.get_downlink(short.id).send_count) == (1, 0)


def test_a_released_claim_is_due_again_as_before(store, device, clock):
    message = store.queue_downlink(device.id, "task", {"n": 1})
    claimed, at = store.claim_downlinks([message])
    store.release_downlinks(claimed, at)  # the publish failed: the connection dropped
    row = store.get_downlink(message.id)
    assert (row.state, row.send_count, row.last_sent_at) == ("queued", 0, None)
    assert [m.id for m in store.downlinks_due(30)] == [message.id]
    _, first = store.claim_downlinks([row])
    clock.advance(60)
    resend = store.get_downlink(message.id)
    again, second = store.claim_downlinks([resend])
    store.release_downlinks(again, second)
    row = store.get_downlink(message.id)
    assert (row.state, row.send_count, row.last_sent_at) == ("sent", 1, first)


def test_confirm_for_unknown_or_foreign_message_is_confirmed_but_dead_lettered(store, device):
    foreign = store.queue_downlink("tablet-someone", "task", {})
    result = ingest_batch([raw(device.confirm(foreign.id))], store)
    assert result.devices[device.id].confirmed == [foreign.id]  # so the device stops re-sending it
    assert store.get_downlink(foreign.id).state == "queued"
    assert store.count_dead_letters(reason="unknown_downlink", device_id=device.id) == 1


def test_presence_and_heartbeat(store, device, clock):
    result = ingest_batch([RawMessage(*device.status("online"), T0)], store)
    assert result.came_online == [device.id]
    hub_time = T0 + timedelta(seconds=2)
    ingest_batch([raw(device.heartbeat(sent_at=T0, outbox_depth=7), hub_time)], store)
    row = store.get_device(device.id)
    assert (row.state, row.outbox_depth, row.photos_pending, row.battery_pct, row.app_version) == (
        "online", 7, 1, 80, "1.2.3")
    assert row.clock_skew_ms == 2000 and row.last_seen == hub_time and row.first_seen == T0
    ingest_batch([RawMessage(*device.status("offline"), hub_time)], store)
    row = store.get_device(device.id)
    assert row.state == "offline" and row.outbox_depth == 7  # health fields survive a presence change
    assert [d.id for d in store.list_devices(state="offline")] == [device.id]


def test_status_and_uplink_in_one_batch_apply_in_arrival_order(store, device):
    ingest_batch([raw(device.report()), RawMessage(*device.status("offline"), T0)], store)
    assert store.get_device(device.id).state == "offline"
    ingest_batch([RawMessage(*device.status("offline"), T0), raw(device.report())], store)
    assert store.get_device(device.id).state == "online"
