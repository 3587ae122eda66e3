"""``/metrics`` in Prometheus' text format: what a district's operations team graphs and alerts on.

Two kinds of figures:
- **per worker** (label ``worker`` = its MQTT client id): uplink messages received, records stored / duplicate,
  dead letters written, receipts and downlinks sent, database failures, the writer's time per stage, the ingest
  queue depth and whether the broker is connected. Each worker writes a snapshot of its own every few seconds
  (``data_dir/metrics/<worker>.json``) and a scrape - which reaches whichever worker of the pool accepts it -
  reports every worker whose snapshot is fresh, so the figures do not jump between workers from scrape to scrape.
- **the hub's** (one database): cases by state and colour, downlinks not yet confirmed by kind, dead letters kept by
  reason, devices by presence, and how long a ``SELECT 1`` took for this scrape.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from hub.cases import repo as case_repo
from hub.mqtt.bridge import MqttBridge
from hub.store import HubStore, utc_now
from hub.store import dead_letters as dead_letter_rows
from hub.store import devices as device_rows
from hub.store import downlinks as downlink_rows
from hub.store.files import write_atomically

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 5.0
STALE_AFTER_S = 60.0  # a worker silent this long (stopped, crashed) is left out
# BridgeStats field → (metric name, help)
COUNTERS = {
    "received": ("gridline_uplink_messages_total", "uplink MQTT messages received"),
    "stored_records": ("gridline_records_stored_total", "records stored (each once)"),
    "duplicate_records": ("gridline_records_duplicate_total", "records received again and receipted, not stored"),
    "dead_letters": ("gridline_dead_letters_written_total", "messages rejected and kept for inspection"),
    "receipts_sent": ("gridline_receipts_sent_total", "receipts published (after commit)"),
    "downlinks_sent": ("gridline_downlinks_sent_total", "downlink messages published (first sends and re-sends)"),
    "db_failures": ("gridline_db_failures_total", "batches the database refused (retried)"),
    "rate_limited": ("gridline_uplinks_rate_limited_total", "uplinks deferred by the per-device rate limit"),
    "connects": ("gridline_broker_connects_total", "connections to the broker"),
}
STAGES = {"store_us": "store", "receipt_us": "receipt", "ack_us": "ack"}


def snapshot(worker: str, bridge: MqttBridge | None) -> dict[str, Any]:
    stats = asdict(bridge.stats) if bridge is not None else {}
    return {"worker": worker, "at": time.time(), "stats": {k: v for k, v in stats.items() if isinstance(v, int)},
            "queue_depth": bridge.queue_depth if bridge is not None else 0,
            "connected": int(bridge is not None and bridge.connected.is_set())}


class WorkerSnapshots:
    """This worker's snapshot file, and the fresh ones of the others (same data_dir: one hub, several workers)."""

    def __init__(self, data_dir: Path, worker: str, bridge: MqttBridge | None):
        self.dir, self.worker, self.bridge = Path(data_dir) / "metrics", worker, bridge

    def write(self) -> None:
        write_atomically(self.dir / f"{self.worker}.json", json.dumps(snapshot(self.worker, self.bridge)))

    def run_forever(self, stop: Any) -> None:
        """A job (hub.jobs.runner): write until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.write()
            except OSError:
                log.exception("metrics snapshot not written")
            stop.wait(SNAPSHOT_EVERY_S)

    def all(self) -> list[dict[str, Any]]:
        found = {self.worker: snapshot(self.worker, self.bridge)}  # our own: live, not as of the last write
        now = time.time()
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            try:
                snap = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being replaced, or not ours
            if isinstance(snap, dict) and snap.get("worker") not in found and now - snap.get("at", 0) < STALE_AFTER_S:
                found[snap["worker"]] = snap
        return [found[w] for w in sorted(found)]


class HubCollector(Collector):
    def __init__(self, store: HubStore, snapshots: WorkerSnapshots, clock: Any = utc_now):
        self.store, self.snapshots, self.clock = store, snapshots, clock

    def collect(self) -> Iterator[Metric]:
        snaps = self.snapshots.all()
        for field, (name, text) in COUNTERS.items():
            family = CounterMetricFamily(name.removesuffix("_total"), text, labels=["worker"])
            for snap in snaps:
                family.add_metric([snap["worker"]], snap["stats"].get(field, 0))
            yield family
        stage = CounterMetricFamily("gridline_writer_seconds", "ingest writer thread time per stage",
                                    labels=["worker", "stage"])
        depth = GaugeMetricFamily("gridline_ingest_queue_depth", "uplink messages waiting for the writer",
                                  labels=["worker"])
        connected = GaugeMetricFamily("gridline_broker_connected", "1 while connected to the broker",
                                      labels=["worker"])
        for snap in snaps:
            for field, label in STAGES.items():
                stage.add_metric([snap["worker"], label], snap["stats"].get(field, 0) / 1e6)
            depth.add_metric([snap["worker"]], snap["queue_depth"])
            connected.add_metric([snap["worker"]], snap["connected"])
        yield from (stage, depth, connected)
        yield from self._database()

    def _database(self) -> Iterator[Metric]:
        started = time.perf_counter()
        with self.store.read() as conn:
            conn.exec_driver_sql("SELECT 1")
            latency = time.perf_counter() - started
            by_case = case_repo.count_by_state_and_level(conn)
            pending = downlink_rows.count_pending(conn, self.clock())
            dead = dead_letter_rows.count_by_reason(conn)
            presence = device_rows.count_by_state(conn)
        yield GaugeMetricFamily("gridline_db_ping_seconds", "a SELECT 1 on the hub's database, at this scrape",
                                value=latency)
        cases = GaugeMetricFamily("gridline_cases", "cases by state and colour", labels=["state", "level"])
        for (state, level), n in sorted(by_case.items()):
            cases.add_metric([state, level], n)
        downlinks = GaugeMetricFamily("gridline_downlinks_pending", "downlinks devices have not confirmed, by kind",
                                      labels=["kind"])
        for kind, n in sorted(pending.items()):
            downlinks.add_metric([kind], n)
        letters = GaugeMetricFamily("gridline_dead_letters", "dead letters kept, by reason", labels=["reason"])
        for reason, n in sorted(dead.items()):
            letters.add_metric([reason], n)
        online = GaugeMetricFamily("gridline_devices", "devices by presence", labels=["state"])
        for state, n in sorted(presence.items()):
            online.add_metric([state], n)
        yield from (cases, downlinks, letters, online)


def exposition(store: HubStore, snapshots: WorkerSnapshots, now: datetime | None = None) -> tuple[bytes, str]:
    """(the text format, its content type) for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(store, snapshots, (lambda: now) if now else utc_now))
    return generate_latest(registry), CONTENT_TYPE_LATEST
