"""Report → task latency: from a report made on a kiosk to the task arriving on the grid leader's phone.

    python -m benchmarks.report_to_task_latency [--devices 1300] [--interval 10] [--load 1] [--reports 200]
                                                [--rate 2] [--db sqlite|postgresql://...]

What runs, all on this machine, each in its own process so nothing shares a GIL with the hub:
- a fresh Mosquitto on a free port (the hub's embedded config: unlimited queue, window 1000);
- the real hub (`gridline hub serve`), SQLite or PostgreSQL, the sample community 福石社区 loaded, auto-dispatch on;
- background load: ``--devices`` MQTT clients, each one device id, publishing real PositionFix records every
  ``--interval / --load`` seconds on average (random phase), QoS 1 — district load is ≈1,300 devices;
- the measured path: five kiosks (real terminal core ``Device``: SQLite outbox, receipts) report at ``--rate``
  per second at points 40 m apart (so none joins an earlier case as a duplicate) and five grid leaders' phones
  (real ``Device``) wait for their tasks.

Latency = the task's arrival in the phone's inbox callback − the moment before ``kiosk.report()`` was called,
so it includes the kiosk's durable write, MQTT both ways, hub ingest + commit, case intake and routing,
auto-filing and dispatch, and the phone's inbox write. Prints a table, writes benchmarks/results/report_to_task.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

import protocol
from benchmarks.rig import wait_http
from hub import sample
from hub.mqtt.embedded_broker import ManagedBroker, free_port
from protocol import TaskBody
from terminal.device import Device

ROOT = Path(__file__).resolve().parents[1]
SPACING_M = 40.0
MARGIN_M = 25.0  # reports are made with accuracy 5 m; stay well inside the grid
M_PER_DEG = 111_320.0


# -- background load -----------------------------------------------------------------------------------------
def background(host: str, port: int, ids: list[str], period_s: float, stop, counter) -> None:
    """One process: one paho client per device id, each publishing a PositionFix every ``period_s`` on average."""
    rng = random.Random(ids[0])
    clients = []
    for dev in ids:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=dev, protocol=mqtt.MQTTv5)
        c.max_queued_messages_set(0)
        c.connect(host, port, keepalive=60, clean_start=True)
        c.loop_start()
        clients.append(c)
    seqs = dict.fromkeys(ids, 0)
    due = {dev: time.monotonic() + rng.uniform(0, period_s) for dev in ids}
    sent = 0
    while not stop.is_set():
        now = time.monotonic()
        for c, dev in zip(clients, ids, strict=False):
            if due[dev] > now:
                continue
            seqs[dev] += 1
            fix = protocol.PositionFix(
                id=protocol.uuid7(), device_id=dev, seq=seqs[dev], created_at=datetime.now(UTC),
                position=protocol.Position(lat=22.245 + rng.random() * 0.01, lon=113.52 + rng.random() * 0.015,
                                           accuracy_m=8.0), speed_mps=1.1)
            c.publish(protocol.topics.uplink(dev, protocol.UplinkKind.POSITION), protocol.encode(fix), qos=1)
            due[dev] = now + period_s * rng.uniform(0.5, 1.5)
            sent += 1
        with counter.get_lock():
            counter.value += sent
        sent = 0
        time.sleep(0.02)
    for c in clients:
        c.loop_stop()
        c.disconnect()


# -- the measured path ---------------------------------------------------------------------------------------
def lattice(grid: sample.SampleGrid) -> list[tuple[float, float]]:
    """Points 40 m apart inside the grid (lat, lon), so no report joins another's case as a duplicate."""
    west, south, east, north = grid.bbox()
    dlat = SPACING_M / M_PER_DEG
    points = []
    lat = south + dlat
    while lat < north - dlat / 2:
        dlon = SPACING_M / (M_PER_DEG * 0.925)  # cos(22.25°)
        lon = west + dlon
        while lon < east - dlon / 2:
            # Keep clear of the boundary (the router flags reports that straddle it for an operator, and
            # those get no automatic task): the point and four neighbours MARGIN_M away must be inside.
            mlat, mlon = MARGIN_M / M_PER_DEG, MARGIN_M / (M_PER_DEG * 0.925)
            if all(grid.contains(lon + dx, lat + dy) for dx, dy in ((0, 0), (mlon, 0), (-mlon, 0), (0, mlat),
                                                                     (0, -mlat))):
                points.append((lat, lon))
            lon += dlon
        lat += dlat
    return points


def time_reports(broker_url: str, dev_dir: Path, reports: int, rate: float,
                 settle: float) -> tuple[dict[str, float], dict[str, float]]:
    """Five kiosks report ``reports`` times at ``rate``/s; their grid leaders' phones note each task's arrival.
    Returns (sent_at, arrived): wall-clock times by report token."""
    grids = sample.grids()
    points = {g.code: lattice(g) for g in grids}
    devs = {d.grid: d for d in sample.devices() if d.kind == "kiosk"}
    leads = {d.grid: d for d in sample.devices() if d.kind == "phone" and "lead" in d.id}
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def on_task(message) -> None:
        if message.kind != "task":
            return
        body = TaskBody.model_validate(message.body)
        if body.role.value == "handler" and body.note.startswith("bench-"):
            with lock:
                arrived.setdefault(body.note, time.time())

    kiosks, phones = [], []
    for g in grids:
        phones.append(Device(leads[g.code].id, dev_dir / leads[g.code].id, broker_url, on_downlink=on_task).start())
        kiosks.append(Device(devs[g.code].id, dev_dir / devs[g.code].id, broker_url).start())
    try:
        for d in kiosks + phones:
            d.wait_connected(20)
        categories = [c for c in _enabled_categories() if not c.startswith("W")]
        sent_at: dict[str, float] = {}
        for i in range(reports):
            gi = i % len(grids)
            lat, lon = points[grids[gi].code][i // len(grids) % len(points[grids[gi].code])]
            token = f"bench-{i:05d}"
            sent_at[token] = time.time()
            kiosks[gi].report(categories[i % len(categories)], lat, lon, accuracy_m=5.0, note=token)
            time.sleep(1.0 / rate)
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and len(arrived) < len(sent_at):
            time.sleep(0.1)
    finally:
        for d in kiosks + phones:
            d.stop()
    return sent_at, dict(arrived)


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="gridline-latency-"))
    broker = ManagedBroker(work / "broker").start()
    host, port = "127.0.0.1", broker.port
    db = args.db if args.db != "sqlite" else f"sqlite:///{work / 'hub.db'}"
    http = free_port()
    gridline = [sys.executable, "-m", "gridline.cli"]
    try:
        subprocess.run([*gridline, "hub", "community", "load-sample", "--db", db], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    except BaseException:
        broker.stop()  # a wrong --db must not leave a broker running
        raise
    hub_log = open(work / "hub.log", "w")
    hub = subprocess.Popen([*gridline, "hub", "serve", "--broker", broker.url, "--db", db, "--http",
                            f"127.0.0.1:{http}", "--data-dir", str(work / "hub")], cwd=ROOT,
                           stdout=hub_log, stderr=subprocess.STDOUT)
    stop = mp.Event()
    counter = mp.Value("q", 0)
    procs = []
    try:
        wait_http(http)
        ids = [f"bg-{i:05d}" for i in range(args.devices)]
        per = max(1, len(ids) // args.procs)
        for k in range(0, len(ids), per):
            p = mp.Process(target=background, args=(host, port, ids[k:k + per], args.interval / args.load, stop,
                                                    counter), daemon=True)
            p.start()
            procs.append(p)
        time.sleep(args.warmup)  # connections up, load steady
        bg_before, t_start = counter.value, time.monotonic()
        sent_at, arrived = time_reports(broker.url, work / "dev", args.reports, args.rate, args.settle)
        elapsed = time.monotonic() - t_start
        bg_rate = (counter.value - bg_before) / elapsed
    finally:
        stop.set()
        for p in procs:
            p.join(10)
        hub.terminate()
        hub.wait(20)
        hub_log.close()
        broker.stop()
    lat_ms = sorted((arrived[t] - sent_at[t]) * 1000 for t in arrived)
    result = {
        "devices": args.devices, "load": args.load, "interval_s": args.interval / args.load,
        "background_msgs_per_s": round(bg_rate, 1), "reports": len(sent_at), "tasks_arrived": len(lat_ms),
        "missing": len(sent_at) - len(lat_ms), "db": "sqlite" if args.db == "sqlite" else "postgresql",
        "p50_ms": _pct(lat_ms, 50), "p95_ms": _pct(lat_ms, 95), "p99_ms": _pct(lat_ms, 99),
        "max_ms": round(lat_ms[-1], 1) if lat_ms else None,
        "mean_ms": round(statistics.fmean(lat_ms), 1) if lat_ms else None,
        "cores": os.cpu_count(), "python": platform.python_version(),
    }
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        result["work_dir"] = str(work)
    return result


def _enabled_categories() -> list[str]:
    data = json.loads((ROOT / "hub" / "org" / "default_taxonomy.json").read_text(encoding="utf-8"))
    return [c["code"] for c in data["categories"] if c.get("enabled", True)]


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[k], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=1300, help="background devices (district ≈ 1,300)")
    ap.add_argument("--interval", type=float, default=10.0, help="mean seconds between one device's positions")
    ap.add_argument("--load", type=float, nargs="+", default=[1.0], help="load multipliers to run, e.g. 1 10")
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--rate", type=float, default=2.0, help="reports per second")
    ap.add_argument("--procs", type=int, default=4, help="processes for the background devices")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=30.0, help="seconds to wait for the last tasks")
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (hub log, databases)")
    args = ap.parse_args()
    results = []
    for load in args.load:
        run_args = argparse.Namespace(**{**vars(args), "load": load})
        results.append(run(run_args))
    print(f"{'load':>5} {'devices':>8} {'bg msg/s':>9} {'reports':>8} {'missing':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}  db")
    for r in results:
        print(f"{r['load']:>5g} {r['devices']:>8} {r['background_msgs_per_s']:>9} {r['reports']:>8} {r['missing']:>8} "
              f"{r['p50_ms']!s:>8} {r['p95_ms']!s:>8} {r['p99_ms']!s:>8} {r['max_ms']!s:>8}  {r['db']}")
    out = ROOT / "benchmarks" / "results" / "report_to_task.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(), "runs": results}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
