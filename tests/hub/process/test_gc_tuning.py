"""The start-up heap frozen out of the collector's way (hub/process/gc_tuning.py), and the hook that does it once
the hub has started (``create_app(after_startup=...)``). That ``gridline hub serve`` passes it is checked on a real
hub process by tests/hub/test_json_logs.py."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.process.gc_tuning import freeze_startup_heap
from hub.settings import HubSettings


def collected(obj: object) -> bool:
    """Whether the collector's generations hold ``obj`` (frozen objects are in none of them)."""
    return any(o is obj for o in gc.get_objects())


def test_what_is_alive_at_the_freeze_is_left_out_of_collections_and_what_comes_later_is_not():
    before = [object()]  # a container: the collector tracks it
    try:
        frozen = freeze_startup_heap()
        after = [object()]
        # Frozen objects can still be freed: this test process's other threads drop some between the two counts.
        assert 0 < gc.get_freeze_count() <= frozen
        assert not collected(before)
        assert collected(after)
    finally:
        gc.unfreeze()
    assert collected(before)


def test_after_startup_runs_once_when_the_hub_has_started_and_before_it_serves(tmp_path):
    calls: list[dict] = []
    app = create_app(HubSettings(data_dir=tmp_path / "hub"), start_bridge=False,
                     after_startup=lambda: calls.append({"jobs": app.state.jobs, "store": app.state.store}))
    assert calls == []  # building the app starts nothing
    with TestClient(app) as client:
        assert len(calls) == 1
        assert calls[0]["jobs"] is app.state.jobs and calls[0]["store"] is app.state.store
        assert client.get("/api/health").status_code == 200
    assert len(calls) == 1
