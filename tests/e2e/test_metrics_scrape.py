"""/metrics on a live hub (real Mosquitto, a real terminal): after a device's records are stored and receipted,
a scrape parsed by prometheus_client counts exactly them under this worker, the broker as connected, the device as
online, and nothing waiting in the ingest queue."""
from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from terminal.device import Device
from terminal.link import Backoff

from .conftest import wait_until

RECORDS = 30


def scrape(base_url: str) -> dict[str, dict[tuple, float]]:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_a_scrape_counts_what_the_device_sent(hub, tmp_path, unique):
    device = Device(f"metrics-{unique}", tmp_path / "device", hub.broker_url,
                    backoff=Backoff(minimum=0.1, maximum=0.5)).start()
    try:
        device.wait_connected(10)
        for i in range(RECORDS):
            device.position(22.25, 113.53 + i * 1e-5)
        assert device.wait_drained(30), device.status()
    finally:
        device.stop()
    worker = (("worker", hub.settings.client_id),)
    got = wait_until(lambda: (m := scrape(hub.base_url))["gridline_records_stored_total"][worker] == RECORDS and m,
                     timeout=10, message="the stored records in /metrics")
    assert got["gridline_receipts_sent_total"][worker] >= 1
    assert got["gridline_records_duplicate_total"][worker] == 0
    assert got["gridline_broker_connected"][worker] == 1
    assert got["gridline_ingest_queue_depth"][worker] == 0
    assert sum(got["gridline_devices"].values()) >= 1
