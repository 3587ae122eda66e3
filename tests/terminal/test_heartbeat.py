"""Periodic heartbeats carry the device's backlog and clock."""
from __future__ import annotations

from datetime import UTC, datetime

from .helpers import StepClock


def test_heartbeats_report_outbox_depth_and_device_clock(hub, make_device):
    clock = StepClock(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))  # a device with a wrong clock
    hub.answering = False
    device = make_device(heartbeat_interval=0.3, clock=clock, app_version="kiosk/2.1")
    for _ in range(3):
        device.position(22.25, 113.53)
    assert hub.wait_for(lambda h: any(b.outbox_depth == 3 for b in h.heartbeats), timeout=10)
    assert hub.wait_for(lambda h: len(h.heartbeats) >= 3, timeout=10)
    beat = hub.heartbeats[-1]
    assert beat.device_id == device.device_id and beat.app_version == "kiosk/2.1"
    assert beat.sent_at == clock.now and beat.battery_pct is None and beat.uptime_s > 0
