"""Per-device uplink rate limit, end to end (real Mosquitto, real hub, real terminals): one device floods far past
its burst while another sends normally. The neighbour's records are all stored and receipted promptly; the flooder
is deferred, never rejected, and once its bucket refills everything it made is stored exactly once. The hub
records the fact as a counter and as the device's flag, not as a row per throttled message."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from hub.devices.identities import DeviceRegistry
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from terminal.device import Device
from terminal.link import Backoff

from .conftest import assert_nothing_lost, audit_dirs, wait_until

# Ten times the burst, drained at the rate: (FLOOD - BURST) / RATE = 4.5 s of flood, twice the calm device's 2 s. The
# test runs with the machine to itself (tests/scheduling.py ALONE), once per broker engine: it is kept short.
RATE, BURST = 100.0, 50
FLOOD, CALM = 500, 40


def receipt_latencies(device: Device) -> list[float]:
    """Seconds from each record's creation to its receipt, from the device's own outbox."""
    rows = device.store.db.execute("SELECT created_at, acked_at FROM outbox WHERE state = 'acked'").fetchall()
    return sorted((datetime.fromisoformat(a) - datetime.fromisoformat(c)).total_seconds() for c, a in rows)


@pytest.fixture
def limited_hub(own_broker, tmp_path, unique):
    """A hub whose per-device limit is small enough for a test to flood it in seconds."""
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", device_rate_per_s=RATE, device_burst=BURST)).start()
    yield runner
    runner.stop()


def test_a_flooding_device_is_deferred_not_rejected_and_its_neighbour_is_not_slowed(limited_hub, tmp_path, unique):
    hub = limited_hub
    devices_dir = tmp_path / "devices"
    fast = Backoff(minimum=0.1, maximum=0.5)
    flooder = Device(f"flood-{unique}", devices_dir / f"flood-{unique}", hub.broker_url, backoff=fast).start()
    calm = Device(f"calm-{unique}", devices_dir / f"calm-{unique}", hub.broker_url, backoff=fast).start()
    try:
        calm.wait_connected(10)
        flooder.wait_connected(10)
        started = time.monotonic()
        for i in range(FLOOD):  # ten times its burst, as fast as the terminal can write them
            flooder.position(22.25, 113.53 + i * 1e-6)
        for i in range(CALM):  # one every 50 ms, all through the flood
            calm.position(22.26, 113.54 + i * 1e-6)
            time.sleep(0.05)
        assert calm.wait_drained(10), calm.status()
        calm_done = time.monotonic() - started
        assert hub.bridge.stats.rate_limited > 0, "the flood never reached the limit"
        assert flooder.status().pending > 0, "the flooder drained while the neighbour sent: no flood to speak of"

        # Once the flood is over, the bucket refills and the flooder's backlog drains at the sustained rate.
        assert flooder.wait_drained(FLOOD / RATE + 20), flooder.status()
        flooder_done = time.monotonic() - started
        latencies = receipt_latencies(calm)
    finally:
        flooder.stop()
        calm.stop()

    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"\ncalm device: {CALM} records receipted within {calm_done:.1f}s, latency p50 {p50 * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms; flooder: {FLOOD} records drained in {flooder_done:.1f}s "
          f"(limit {RATE:g}/s after a burst of {BURST}); {hub.bridge.stats.rate_limited} uplinks deferred")
    assert len(latencies) == CALM and p99 < 2.0, latencies

    totals = audit_dirs(devices_dir, hub.store.db_url, hub.settings.data_dir)
    assert totals.created == FLOOD + CALM
    assert_nothing_lost(totals)  # nothing lost, nothing stored twice, every stored record receipted
    assert flooder_counts_rejected(devices_dir / f"flood-{unique}") == 0
    assert hub.store.count_dead_letters() == 0  # throttled messages are not dead letters either
    # The drain after the burst runs at the configured rate, not faster (slack for timer granularity).
    assert flooder_done >= (FLOOD - BURST) / RATE * 0.8

    deferred = hub.bridge.stats.rate_limited
    registry = DeviceRegistry(hub.store)
    flag = wait_until(lambda: registry.flags([f"flood-{unique}"]).get(f"flood-{unique}"), 15,
                      message="rate_limited flag")
    assert flag.reason == "rate_limited" and 0 < flag.count <= deferred
    wait_until(lambda: registry.flags([f"flood-{unique}"])[f"flood-{unique}"].count == deferred, 15,
               message="flag count catching up with the counter")
    assert f"calm-{unique}" not in registry.flags()


def flooder_counts_rejected(data_dir) -> int:
    from terminal.store import read_ledger

    return sum(1 for state in read_ledger(data_dir / "terminal.db").values() if state == "rejected")
