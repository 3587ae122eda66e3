"""Faults while devices produce: broker restart, hub kill -9, a device's link cut, a device kill -9.

After recovery the invariants are the same every time: every record created on a device is stored exactly once
at the hub, and no acknowledged record is missing (``assert_nothing_lost``).
"""
from __future__ import annotations

import re
import signal
import threading
import time

import cv2
import numpy as np
import pytest

from terminal.device import Device
from terminal.simulate import run_simulation

from .conftest import assert_nothing_lost, audit_dirs, wait_until
from .netcut import CuttableLink
from .processes import HubProcess, gridline


def simulate_in_thread(broker_url, data_dir, prefix, *, count=4, rate=8.0, duration=8.0):
    result = {}

    def run():
        result["totals"] = run_simulation(broker_url, data_dir, count=count, rate=rate, duration=duration,
                                          device_prefix=prefix, drain_timeout=90, seed=7)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_broker_restart_while_devices_produce(hub, own_broker, tmp_path, unique):
    thread, result = simulate_in_thread(hub.broker_url, tmp_path / "devices", f"br{unique}")
    time.sleep(3)
    own_broker.restart(down_for=2.0)
    thread.join(150)
    assert result["totals"].drained, result["totals"]
    assert_nothing_lost(audit_dirs(tmp_path / "devices", hub.store.db_url, hub.settings.data_dir))


def hub_killed_mid_batch_and_restarted(broker_url: str, db_url: str, tmp_path, unique) -> None:
    hub = HubProcess(broker_url, tmp_path / "hub", db_url).start()
    try:
        thread, result = simulate_in_thread(broker_url, tmp_path / "devices", f"hk{unique}", rate=15, duration=10)
        time.sleep(3)
        stored_before = hub.get("/api/health")["counters"].get("stored_records", 0)
        hub.kill9()
        time.sleep(2)  # devices keep producing into their outboxes while the hub is gone
        hub.start()
        thread.join(150)
        assert result["totals"].drained, result["totals"]
        totals = audit_dirs(tmp_path / "devices", db_url, tmp_path / "hub")
    finally:
        hub.stop()
    assert stored_before > 0, "the kill must land while the hub is ingesting"
    assert_nothing_lost(totals)


def test_hub_killed_mid_batch_and_restarted(own_broker, tmp_path, unique):
    hub_killed_mid_batch_and_restarted(own_broker.url, f"sqlite:///{tmp_path / 'hub' / 'hub.db'}", tmp_path, unique)


# On Mosquitto only (``slow`` keeps it off the embedded broker, tests/e2e/conftest.py): what differs from the test
# above is the database, and the two variables are independent - the SQLite run covers the embedded broker. CI time
# (issue 13): the iotcore-PostgreSQL pair took 20-35 s.
@pytest.mark.slow
def test_hub_killed_mid_batch_and_restarted_on_postgresql(own_broker, tmp_path, unique, pg_url):
    hub_killed_mid_batch_and_restarted(own_broker.url, pg_url, tmp_path, unique)


def noisy_jpeg(seed: int, width: int = 2000, height: int = 1500) -> bytes:
    """A large, incompressible photo: about a hundred 32 KiB chunks."""
    rng = np.random.default_rng(seed)
    ok, buf = cv2.imencode(".jpg", rng.integers(0, 255, (height, width, 3), dtype=np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def test_device_link_cut_mid_photo_resumes_where_it_stopped(hub, own_broker, tmp_path, unique):
    link = CuttableLink(own_broker.host, own_broker.port, latency_s=0.01)
    device = Device(f"cut-{unique}", tmp_path / "devices" / f"cut-{unique}", link.url, ack_timeout=5).start()
    try:
        device.wait_connected(10)
        report = device.report("road_damage", 22.25, 113.53, photos=[noisy_jpeg(1)])
        sha, count = report.photos[0].sha256, report.photos[0].chunks
        states = lambda: device.store.chunk_states(sha)
        wait_until(lambda: sum(s == "acked" for s in states().values()) >= 5, 30, 0.005, "first chunks acked")
        link.cut()
        acked_before = {i for i, s in states().items() if s == "acked"}
        assert 0 < len(acked_before) < count, "the cut must land mid-upload"
        for n in range(30):  # the device keeps capturing offline
            device.position(22.25 + n * 1e-5, 113.53, accuracy_m=4)
            time.sleep(0.1)
        assert device.status().online is False
        link.restore()
        assert device.wait_drained(60), device.status()
        attempts = dict(device.store.db.execute("SELECT idx, attempts FROM photo_chunks WHERE sha256 = ?", [sha]))
    finally:
        device.stop()
        link.close()
    assert all(attempts[i] == 1 for i in acked_before), "chunks acknowledged before the cut were sent again"
    assert hub.store.get_photo(sha) is not None
    assert_nothing_lost(audit_dirs(tmp_path / "devices", hub.store.db_url, hub.settings.data_dir))


def test_device_process_killed_mid_write_then_restarted(hub, tmp_path, unique):
    data = tmp_path / "devices"
    args = ["terminal", "simulate", "--broker", hub.broker_url, "--count", "3", "--rate", "25",
            "--data-dir", str(data), "--device-prefix", f"kd{unique}", "--drain-timeout", "60"]
    first = gridline(*args, "--for", "60", log=tmp_path / "first.log")
    wait_until(lambda: hub.store.count_records() > 50, 60, message="records flowing")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    second = gridline(*args, "--for", "1", log=tmp_path / "second.log")
    assert second.wait(120) == 0, (tmp_path / "second.log").read_text()[-2000:]
    last = (tmp_path / "second.log").read_text().strip().splitlines()[-1]
    m = re.fullmatch(r"simulate: created=(\d+) acknowledged=(\d+) pending=(\d+)", last)
    assert m and m[3] == "0" and m[1] == m[2], last
    totals = audit_dirs(data, hub.store.db_url, hub.settings.data_dir)
    assert totals.created == int(m[1])
    assert_nothing_lost(totals)
