"""``/metrics`` (hub/api/prometheus.py, hub/api/metrics.py) on SQLite and PostgreSQL: the text format parses
(prometheus_client.parser) and the hub's figures are the database's - cases by state and colour, downlinks not yet
confirmed, dead letters by reason; each fresh worker snapshot is reported under its worker, a stale one is not;
without a token only this host may scrape, with one only whoever sends it."""
from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.app import create_app
from hub.cases import CaseService
from hub.settings import HubSettings
from hub.store.items import DeadLetter

ROAD = "E0101"  # of the default taxonomy the hub installs at start


def scrape(client: TestClient, **headers: str) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
def app_for(store, tmp_path, clock):
    made = []

    def make(**settings) -> TestClient:
        app = create_app(HubSettings(data_dir=tmp_path / "data", **settings), store=store, start_bridge=False,
                         clock=clock)
        client = TestClient(app).__enter__()
        made.append(client)
        return client
    yield make
    for client in made:
        client.__exit__(None, None, None)


def test_the_hubs_figures_are_the_databases(app_for, store, clock):
    client = app_for()
    service = CaseService(store, clock=clock)
    for n in range(3):  # the hub's own cases are filed at once
        service.open_case(f"metrics-test-{n}", ROAD, grid_code=None, community_code=None, note="坑")
    store.queue_downlink("kiosk-1", "notice", {"title": "停水"})
    store.queue_downlink("kiosk-2", "notice", {"title": "停水"})
    for reason in ("bad_json", "bad_json", "unknown_topic"):
        store.store_dead_letter(DeadLetter("gridline/v1/x", b"{", clock(), reason))
    got = scrape(client)
    assert list(got["gridline_cases"].values()) == [3]
    assert dict(next(iter(got["gridline_cases"])))["state"] == "filed"
    assert got["gridline_downlinks_pending"] == {(("kind", "notice"),): 2}
    assert got["gridline_dead_letters"] == {(("reason", "bad_json"),): 2, (("reason", "unknown_topic"),): 1}
    assert 0 < got["gridline_db_ping_seconds"][()] < 5
    worker = (("worker", "gridline-hub"),)
    assert got["gridline_records_stored_total"][worker] == 0  # no bridge here: its counters are zero, not absent
    assert got["gridline_broker_connected"][worker] == 0


def test_every_fresh_worker_is_reported_and_a_stale_one_is_not(app_for, tmp_path):
    client = app_for()
    snapshots = tmp_path / "data" / "metrics"
    snapshots.mkdir(parents=True, exist_ok=True)
    fresh = {"worker": "hub-w2", "at": time.time(), "stats": {"received": 120, "stored_records": 100,
                                                               "store_us": 2_500_000}, "queue_depth": 7, "connected": 1}
    (snapshots / "hub-w2.json").write_text(json.dumps(fresh))
    (snapshots / "hub-w3.json").write_text(json.dumps({**fresh, "worker": "hub-w3", "at": time.time() - 3600}))
    (snapshots / "garbage.json").write_text("{not json")
    got = scrape(client)
    assert got["gridline_uplink_messages_total"][(("worker", "hub-w2"),)] == 120
    assert got["gridline_records_stored_total"][(("worker", "hub-w2"),)] == 100
    assert got["gridline_writer_seconds_total"][(("stage", "store"), ("worker", "hub-w2"))] == 2.5
    assert got["gridline_ingest_queue_depth"][(("worker", "hub-w2"),)] == 7
    assert {dict(k)["worker"] for k in got["gridline_uplink_messages_total"]} == {"gridline-hub", "hub-w2"}


def test_who_may_scrape(app_for, store, tmp_path):
    open_client = app_for()
    assert open_client.get("/metrics").status_code == 200  # this host
    from_afar = TestClient(open_client.app, client=("10.8.0.5", 40000))
    assert from_afar.get("/metrics").status_code == 403
    guarded = app_for(metrics_token="s" * 24)
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    remote_guarded = TestClient(guarded.app, client=("10.8.0.5", 40000))
    assert remote_guarded.get("/metrics", headers={"Authorization": f"Bearer {'s' * 24}"}).status_code == 200
