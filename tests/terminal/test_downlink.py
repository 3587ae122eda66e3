"""Downlink messages: stored once, applied once, confirmed (again on every re-send), expired ones dropped."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from protocol import DeliveryState

from .helpers import wait_until


def test_downlink_stored_applied_once_and_confirmed(hub, make_device):
    applied = []
    device = make_device(on_downlink=applied.append)
    message = hub.send_downlink(device.device_id, "task", {"title": "检查3号楼消防通道", "grid": "XZ-03"})
    assert wait_until(lambda: len(hub.confirms) == 1)
    assert hub.confirms[0].message_id == message.id and hub.confirms[0].state is DeliveryState.DELIVERED
    [entry] = device.inbox()
    assert entry.id == message.id and entry.body["title"] == "检查3号楼消防通道" and entry.applied
    assert wait_until(lambda: device.inbox()[0].confirm_state == "confirmed")  # the hub's receipt said so

    # The hub re-sends (say it missed our confirmation): confirmed again, applied never twice.
    hub.send_downlink(device.device_id, "task", message.body, message_id=message.id)
    assert wait_until(lambda: len(hub.confirms) == 2)
    assert [m.id for m in applied] == [message.id]
    assert len(device.inbox()) == 1


def test_expired_downlink_is_dropped(hub, make_device, caplog):
    applied = []
    device = make_device(on_downlink=applied.append)
    past = datetime.now(UTC) - timedelta(minutes=5)
    stale = hub.send_downlink(device.device_id, "notice", {"text": "old"}, expires_at=past)
    fresh = hub.send_downlink(device.device_id, "notice", {"text": "new"},
                              expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert wait_until(lambda: [m.id for m in applied] == [fresh.id])  # same topic, so the stale one came first
    assert [e.id for e in device.inbox()] == [fresh.id]
    assert wait_until(lambda: len(hub.confirms) >= 1)
    assert [c.message_id for c in hub.confirms] == [fresh.id]
    assert any("expired downlink" in r.message and stale.id in r.message for r in caplog.records)


def test_unapplied_message_is_handed_over_after_restart(hub, make_device):
    def broken(message):
        raise RuntimeError("app crashed while applying")

    device = make_device("inbox", on_downlink=broken)
    message = hub.send_downlink(device.device_id, "config", {"report_interval_s": 30})
    assert wait_until(lambda: len(hub.confirms) == 1)  # stored durably, so confirmed regardless
    assert device.inbox()[0].applied is False
    device.stop()

    applied = []
    again = make_device("inbox", on_downlink=applied.append)
    assert wait_until(lambda: [m.id for m in applied] == [message.id])
    assert again.inbox()[0].applied and applied[0].body == {"report_interval_s": 30}


def test_read_receipt_is_sent(hub, make_device):
    device = make_device()
    message = hub.send_downlink(device.device_id, "notice", {"text": "台风预警"})
    assert wait_until(lambda: len(hub.confirms) == 1)
    device.mark_read(message.id)
    assert wait_until(lambda: len(hub.confirms) == 2)
    assert hub.confirms[1].state is DeliveryState.READ and device.inbox()[0].state == "read"
