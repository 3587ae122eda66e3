"""No loss across broker restarts and crashes while devices keep capturing."""
from __future__ import annotations

import threading
import time

from terminal.photos import synthetic_photo

from .helpers import wait_until


def capture_continuously(device, stop: threading.Event, made: list) -> None:
    i = 0
    while not stop.is_set():
        if i % 25 == 0:
            made.append(device.report("litter", 22.25, 113.53, photos=[synthetic_photo(i)]))
        else:
            made.append(device.position(22.25, 113.53 + i * 1e-6))
        i += 1
        time.sleep(0.02)


def test_capture_through_broker_restart_and_crash_loses_nothing(hub, make_device, own_broker):
    device = make_device(chunk_size=16 * 1024, ack_timeout=3.0)
    stop, made = threading.Event(), []
    producer = threading.Thread(target=capture_continuously, args=(device, stop, made))
    producer.start()
    try:
        time.sleep(1.0)
        own_broker.restart(down_for=1.0)  # clean restart: Mosquitto saves its sessions
        assert device.wait_connected(15)
        time.sleep(1.0)
        own_broker.kill()  # crash: whatever it had not autosaved is gone
        time.sleep(1.0)
        own_broker.start()
        assert device.wait_connected(15)
        time.sleep(1.0)
    finally:
        stop.set()
        producer.join()
    assert hub.wait_for(lambda h: h.connected.is_set(), timeout=15)
    assert device.wait_drained(60), device.status()
    assert {r.id for r in made} <= set(hub.records)
    reports = [r for r in made if r.kind == "report"]
    assert {r.photos[0].sha256 for r in reports} <= hub.verified
    counts = device.store.counts()
    assert counts["position"]["acked"] + counts["report"]["acked"] == len(made) > 150
    assert wait_until(lambda: device.status().online)
