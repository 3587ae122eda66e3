"""End-to-end fixtures: a whole hub on a broker of the test's own, and audits of devices against it."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from gridline.audit import AuditTotals, audit
from hub.process.runner import HubRunner
from hub.settings import HubSettings
from hub.store import HubStore


def pytest_collection_modifyitems(items):
    """Tests that drive the dashboard in Chromium are marked ``pages``: ``./dev.sh test`` runs them once, not again
    on the embedded broker (what they check is the page; the broker engines are covered by the other e2e tests)."""
    for item in items:
        module = getattr(item, "module", None)
        chromium = hasattr(module, "sync_playwright") or "browser" in getattr(item, "fixturenames", ())
        if module is not None and chromium:
            item.add_marker(pytest.mark.pages)


@pytest.fixture
def hub(own_broker, tmp_path, unique):
    runner = HubRunner(HubSettings(broker_url=own_broker.url, data_dir=tmp_path / "hub", http_port=0,
                                   client_id=f"e2e-hub-{unique}", downlink_resend_s=2.0)).start()
    yield runner
    runner.stop()


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
