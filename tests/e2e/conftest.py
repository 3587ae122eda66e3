"""End-to-end fixtures: a whole hub on a broker of the test's own, and audits of devices against it."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from gridline.audit import AuditTotals, audit
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store import HubStore
from protocol import parse_broker_url
from tests.conftest import BROKER_ENGINES

BROKER_FIXTURES = {"broker_url", "own_broker"}


def _drives_chromium(module, fixturenames) -> bool:
    return module is not None and (hasattr(module, "sync_playwright") or "browser" in fixturenames)


def pytest_generate_tests(metafunc):
    """An end-to-end test that takes a broker fixture runs on each engine of the run (tests/conftest.py
    ``BROKER_ENGINES``: Mosquitto, then iotcore, the embedded broker ``gridline demo`` falls back to) - except the
    ``slow`` fault scenarios (Mosquitto-specific) and the dashboard pages (what they check is the page)."""
    if len(BROKER_ENGINES) < 2 or not BROKER_FIXTURES & set(metafunc.fixturenames):
        return
    if metafunc.definition.get_closest_marker("slow") or _drives_chromium(metafunc.module, metafunc.fixturenames):
        return
    metafunc.parametrize("broker_engine", BROKER_ENGINES, indirect=True)


def pytest_collection_modifyitems(items):
    """Tests that drive the dashboard in Chromium are marked ``pages`` (``-m "not pages"`` leaves them out)."""
    for item in items:
        if _drives_chromium(getattr(item, "module", None), getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pages)


@pytest.fixture
def hub(own_broker, tmp_path, unique):
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0)).start()
    yield runner
    runner.stop()


@contextmanager
def plain_client(broker_url: str, client_id: str) -> Iterator[mqtt.Client]:
    """A bare MQTT 5 client on the test's broker, no device behind it: for what no terminal would send as it is
    (garbage, a copy of a downlink as a broker's re-delivery)."""
    address = parse_broker_url(broker_url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def audit_dirs(device_root: Path, db_url: str, hub_dir: Path) -> AuditTotals:
    store = HubStore(db_url, hub_dir)
    try:
        return audit({p.name: p for p in sorted(device_root.iterdir()) if (p / "terminal.db").exists()}, store)
    finally:
        store.close()


def assert_nothing_lost(totals: AuditTotals, expect_created: bool = True) -> None:
    assert not expect_created or totals.created > 0, totals
    assert totals.lost == 0, totals.per_device
    assert totals.duplicates == 0, totals.per_device
    assert totals.acked_but_missing == 0, totals.per_device
    assert totals.acknowledged == totals.created == totals.stored, totals


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout}s")
