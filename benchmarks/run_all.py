"""The benchmark suite in one command: every measure side by side on this machine, one table, one JSON file.

    python -m benchmarks.run_all                 # CI-size: small counts, short phases (a few minutes)
    python -m benchmarks.run_all --full          # the issue's sizes (20k msgs x 3 rounds, 1,300 / 13,000 msg
                                                 #   devices, 10,000-record backlog, 5,000 connections, 3 min burst)
    python -m benchmarks.run_all --only ingest latency --db postgresql   # a subset, on PostgreSQL

Measures (targets from issue 7):
1. raw broker pass-through: paho publisher → Mosquitto → paho subscriber, QoS 1 (the ceiling);
2. receipted ingest: records durable in the hub DB whose receipt reached the device; ratio to (1) ≥ 0.8;
   also with 2 hub workers on a ``$share`` group (``--workers 1 2``), with the core count;
3. report → task p50/p95/p99 at district load (≈1,300 devices) ≤ 300 ms p99, and at 10× load ≤ 1 s p99
   (benchmarks/report_to_task_latency.py);
4. backlog drain: one real terminal ``Device`` offline with N records + M photos reconnects: records/s ≥ 1,000;
5. connections: K devices connected to one broker + hub; hub RSS (≤ 300 MB) and CPU idle / at district load;
6. burst: 3× district load for ``--burst-s``: hub queue stays bounded, nothing lost, latency recovers after.
7. features (issue 22): the scripts that measure one feature each, run as they are and their figure lines kept -
   case search over ``--case-rows`` cases (PostgreSQL and SQLite), the 议事 tally of 10,000 offline votes from 200
   kiosks, the dashboard's update lag with 2,000 moving devices, and a report's task with its photo's thumbnail on
   the phone at district load.
Every phase starts its own fresh Mosquitto, database and hub process(es). Writes benchmarks/results/suite.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import report_to_task_latency as latency_bench
from benchmarks.ingest_throughput import CpuSplit, cpu_line, make_payloads, publisher, run_raw
from benchmarks.rig import (
    CpuMeter,
    HubRig,
    TaskProbe,
    count_records,
    fresh_db,
    rss_mb,
    start_crowd,
)

ROOT = Path(__file__).resolve().parents[1]
QUICK = {"messages": 6000, "rounds": 1, "devices": 1300, "latency_reports": 40, "latency_loads": [1.0, 10.0],
             "backlog": 2000, "backlog_photos": 20, "connections": 2000, "burst_s": 20.0, "phase_s": 15.0}
FULL = {"messages": 20000, "rounds": 3, "devices": 1300, "latency_reports": 200, "latency_loads": [1.0, 10.0],
            "backlog": 10000, "backlog_photos": 100, "connections": 5000, "burst_s": 180.0, "phase_s": 45.0}
INTERVAL_S = 10.0  # a district device's mean position period (the issue: every 5-30 s)
# -- 7: one script per feature, (module, arguments at CI size, at the size, lines to keep by prefix) ---------
FEATURES: tuple[tuple[str, list[str], list[str], tuple[str, ...]], ...] = (
    ("case_search", ["--rows", "20000", "--repeat", "10"], ["--rows", "1000000"], ("",)),  # its closing table
    ("vote_tally", ["--votes", "2000", "--kiosks", "40", "--cards", "1200"], [], ("vote_tally", "  ")),
    ("dashboard_positions", ["--devices", "500", "--seconds", "15", "--warmup", "5"], ["--devices", "2000"],
     ("update lag", "long tasks", "page received", "target")),
    ("task_thumbnails", ["--reports", "20"], [], ("thumbnail bytes", "report filed")),
)


# -- 1 + 2: pass-through and receipted ingest ----------------------------------------------------------------------
def bench_ingest(args) -> dict:
    per_device = args.messages // args.publishers
    total = per_device * args.publishers
    ids = [f"ing-{i:04d}" for i in range(args.publishers)]
    out: dict = {"messages_per_round": total, "rounds": args.rounds, "publishers": args.publishers, "by_workers": {}}
    for workers in args.workers:
        raw_rates, ing_rates, cpu_rounds = [], [], []  # cpu: core-seconds per role in each phase
        for rnd in range(args.rounds):
            payloads = make_payloads(ids, per_device, rnd)
            with HubRig(args.db, workers=workers) as rig:
                broker_pid = int(rig.broker.pid_file.read_text())
                raw = run_raw(rig.broker.host, rig.broker.port, payloads, total, rnd, broker_pid)
                q, started = mp.Queue(), mp.Event()
                pub = mp.Process(target=publisher, args=(rig.broker.host, rig.broker.port, payloads, "ingest", "", q,
                                                          started))
                pub.start()
                started.wait(60)
                split = CpuSplit(broker=broker_pid, **{f"hub{i}": pid for i, pid in enumerate(rig.pids)})
                r = q.get(timeout=600)
                ing = {"count": r["count"], "seconds": r["t_end"] - r["t0"], "cpu_s": split.stop(publisher=r["cpu_s"])}
                pub.join(30)
                stored = count_records(rig.db_url, "ing-")
            if r["count"] != total or raw["count"] != total or stored != total:
                raise SystemExit(f"ingest round {rnd}: sent {total}, raw got {raw['count']}, receipted {r['count']}, "
                                 f"stored {stored}")
            raw_rates.append(raw["rate"])
            ing_rates.append(r["count"] / (r["t_end"] - r["t0"]))
            cpu_rounds.append({"raw": raw["cpu_s"], "ingest": ing["cpu_s"]})
            print(f"  ingest workers={workers} round {rnd}: raw {raw_rates[-1]:.0f}/s, "
                  f"receipted {ing_rates[-1]:.0f}/s\n    raw    {cpu_line(raw)}\n    ingest {cpu_line(ing)}",
                  flush=True)
        raw_med, ing_med = statistics.median(raw_rates), statistics.median(ing_rates)
        out["by_workers"][str(workers)] = {"raw_msgs_per_s": round(raw_med), "ingest_msgs_per_s": round(ing_med),
                                           "ratio": round(ing_med / raw_med, 3), "raw_rounds": raw_rates,
                                           "ingest_rounds": ing_rates, "cpu_s_rounds": cpu_rounds}
    return out


# -- 3: report → task latency -----------------------------------------------------------------------------------------
def bench_latency(args) -> dict:
    runs = []
    for load in args.latency_loads:
        db, drop = fresh_db(args.db, Path("/tmp")) if args.db != "sqlite" else ("sqlite", lambda: None)
        try:
            ns = argparse.Namespace(devices=args.devices, interval=INTERVAL_S, load=load, reports=args.latency_reports,
                                    rate=2.0, procs=4, warmup=8.0, settle=30.0, db=db, keep=False)
            runs.append(latency_bench.run(ns))
        finally:
            drop()
        print(f"  latency load {load:g}x: {runs[-1]}", flush=True)
    return {"runs": runs}


# -- 4: backlog drain ------------------------------------------------------------------------------------------------
def bench_backlog(args) -> dict:
    from terminal.device import Device
    from terminal.photos import synthetic_photo

    with HubRig(args.db) as rig:
        dev = Device("backlog-0001", rig.work / "dev", rig.broker.url)  # not started: it is "offline"
        t = time.monotonic()
        photos = 0
        for i in range(args.backlog):
            if i % max(1, args.backlog // max(1, args.backlog_photos)) == 0 and photos < args.backlog_photos:
                dev.store.record_report("E0101", _pos(i), note=f"backlog {i}", photos=[synthetic_photo(i)])
                photos += 1
            else:
                dev.store.record_position(_pos(i), speed_mps=1.2)
        made_s = time.monotonic() - t
        hub_cpu = CpuMeter(rig.pids[0])
        t0 = time.monotonic()
        dev.start()
        drained = dev.wait_drained(600)
        seconds = time.monotonic() - t0
        cpu = hub_cpu.read()
        status = dev.status()
        dev.stop()
        stored = count_records(rig.db_url, "backlog-")
    return {"records": args.backlog, "photos": photos, "seconds": round(seconds, 2),
            "records_per_s": round(args.backlog / seconds), "drained": drained, "stored": stored,
            "hub_cpu_pct": round(cpu), "backlog_build_s": round(made_s, 1), "device_status": str(status)[:300]}


def _pos(i: int):
    from protocol import Position
    return Position(lat=22.25 + (i % 100) * 1e-5, lon=113.53 + (i // 100) * 1e-5, accuracy_m=5.0)


# -- 5: connections --------------------------------------------------------------------------------------------------
def bench_connections(args) -> dict:
    with HubRig(args.db) as rig:
        ids = [f"conn-{i:05d}" for i in range(args.connections)]
        active = min(args.devices, args.connections)
        procs, stop, period, published, acked = start_crowd(rig.broker.host, rig.broker.port, ids, 1e9,
                                                            procs=4, active=active)
        try:
            time.sleep(5)  # presence messages of the connect storm stored
            hub, broker = CpuMeter(rig.pids[0]), CpuMeter(rig.broker._process.pid)
            time.sleep(args.phase_s)
            idle = {"hub_rss_mb": round(sum(rss_mb(p) for p in rig.pids), 1), "hub_cpu_pct": round(hub.read(), 1),
                    "broker_rss_mb": round(rss_mb(rig.broker._process.pid), 1),
                    "broker_cpu_pct": round(broker.read(), 1)}
            period.value = INTERVAL_S
            time.sleep(3)
            hub.start(), broker.start()
            before = published.value
            time.sleep(args.phase_s)
            rate = (published.value - before) / args.phase_s
            loaded = {"hub_rss_mb": round(sum(rss_mb(p) for p in rig.pids), 1), "hub_cpu_pct": round(hub.read(), 1),
                      "broker_rss_mb": round(rss_mb(rig.broker._process.pid), 1),
                      "broker_cpu_pct": round(broker.read(), 1), "msgs_per_s": round(rate, 1),
                      "active_devices": active}
            devices_known = len(rig_devices(rig))
        finally:
            stop.set()
            for p in procs:
                p.join(30)
    return {"connections": args.connections, "idle": idle, "district_load": loaded,
            "devices_known_to_hub": devices_known}


def rig_devices(rig: HubRig) -> list[str]:
    import sqlalchemy as sa

    from hub.store.engine import create_hub_engine
    from hub.store.tables import devices
    engine = create_hub_engine(rig.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(devices.c.id).where(devices.c.state == "online")).scalars())
    finally:
        engine.dispose()


# -- 6: burst --------------------------------------------------------------------------------------------------------
def bench_burst(args) -> dict:
    with HubRig(args.db, sample_community=True) as rig:
        ids = [f"burst-{i:05d}" for i in range(args.devices)]
        procs, stop, period, published, acked = start_crowd(rig.broker.host, rig.broker.port, ids, INTERVAL_S,
                                                            procs=4)
        probe = TaskProbe(rig.broker.url, rig.work)
        phases: dict = {}
        samples: list[dict] = []
        try:
            time.sleep(5)
            for name, mult, seconds in (("before", 1.0, args.phase_s), ("burst_3x", 3.0, args.burst_s),
                                        ("after", 1.0, args.phase_s)):
                period.value = INTERVAL_S / mult
                tokens, t_end, before = [], time.monotonic() + seconds, published.value
                while time.monotonic() < t_end:
                    tokens.append(probe.fire())
                    h = rig.health()
                    samples.append({"phase": name, "t": round(time.time(), 1), "queue_depth": h["queue_depth"],
                                    "hub_rss_mb": round(rss_mb(rig.pids[0]), 1)})
                    time.sleep(1.0)
                rate = (published.value - before) / seconds  # before waiting for the phase's last tasks
                probe.wait(tokens, 30)
                phases[name] = {"load": mult, "seconds": seconds, "msgs_per_s": round(rate, 1),
                                "max_queue_depth": max(s["queue_depth"] for s in samples if s["phase"] == name),
                                **probe.summary(tokens)}
                print(f"  burst phase {name}: {phases[name]}", flush=True)
        finally:
            stop.set()
            for p in procs:
                p.join(60)
            probe.stop()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (count_records(rig.db_url, "burst-") < acked.value
                                               or rig.health()["queue_depth"]):
            time.sleep(1)
        stored = count_records(rig.db_url, "burst-")
    return {"devices": args.devices, "phases": phases, "published": published.value, "broker_acked": acked.value,
            "stored": stored, "lost": acked.value - stored,
            "max_queue_depth": max(s["queue_depth"] for s in samples), "samples": samples}


def bench_features(args) -> dict:
    """Each feature script as a user runs it (its own rig); its figure lines, exit status and wall time."""
    out: dict = {}
    for module, quick, full, keep in FEATURES:
        command = [sys.executable, "-m", f"benchmarks.{module}", *(full if args.full else quick)]
        if module in ("vote_tally", "task_thumbnails") and args.db == "postgresql":
            command += ["--db", "postgresql://postgres@127.0.0.1:5432/postgres"]
        print(f"  {' '.join(command[1:])}", flush=True)
        t = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
        lines = [line for line in done.stdout.splitlines() if line.startswith(keep) and line.strip()]
        out[module] = {"command": " ".join(command[1:]), "exit": done.returncode, "lines": lines[-12:],
                       "wall_s": round(time.monotonic() - t, 1),
                       **({"stderr_tail": done.stderr[-2000:]} if done.returncode else {})}
    return out


# -- the table -------------------------------------------------------------------------------------------------------
def table(results: dict) -> list[tuple[str, str, str]]:
    rows = []
    ing = results.get("ingest")
    if ing:
        for w, r in ing["by_workers"].items():
            rows.append((f"raw pass-through QoS1 msg/s (rig with {w} worker(s))", f"{r['raw_msgs_per_s']}", ""))
            rows.append((f"receipted ingest msg/s, {w} worker(s)", f"{r['ingest_msgs_per_s']}", ""))
            rows.append((f"ratio ingest/raw, {w} worker(s)", f"{r['ratio']:.2f}", ">= 0.8"))
    for r in (results.get("latency") or {}).get("runs", []):
        target = "<= 300" if r["load"] <= 1 else "<= 1000"
        rows.append((f"report->task p50/p95/p99 ms, {r['load']:g}x ({r['background_msgs_per_s']} msg/s)",
                     f"{r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']}", f"p99 {target}"))
        rows.append((f"  reports / tasks missing, {r['load']:g}x", f"{r['reports']} / {r['missing']}", "0"))
    b = results.get("backlog")
    if b:
        rows.append((f"backlog drain records/s ({b['records']} rec + {b['photos']} photos)", f"{b['records_per_s']}",
                     ">= 1000"))
    c = results.get("connections")
    if c:
        rows.append((f"hub RSS MB idle / district, {c['connections']} connections",
                     f"{c['idle']['hub_rss_mb']} / {c['district_load']['hub_rss_mb']}", "<= 300"))
        rows.append(("hub CPU % idle / district", f"{c['idle']['hub_cpu_pct']} / {c['district_load']['hub_cpu_pct']}",
                     ""))
        rows.append(("broker RSS MB / CPU % at district", f"{c['district_load']['broker_rss_mb']} / "
                     f"{c['district_load']['broker_cpu_pct']}", ""))
    u = results.get("burst")
    if u:
        for name, p in u["phases"].items():
            rows.append((f"burst {name} ({p['msgs_per_s']} msg/s) p50/p99 ms, max queue",
                         f"{p['p50_ms']}/{p['p99_ms']}, {p['max_queue_depth']}", ""))
        rows.append(("burst records broker-acked / stored / lost", f"{u['broker_acked']} / {u['stored']} / {u['lost']}",
                     "lost 0"))
    for module, run in (results.get("features") or {}).items():
        if not isinstance(run, dict):
            continue
        rows.append((f"{module} ({run['wall_s']} s)", "exit " + str(run["exit"]), ""))
        rows.extend((f"  {line.strip()[:120]}", "", "") for line in run["lines"])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the issue's sizes (default: CI-size)")
    ap.add_argument("--only", nargs="+", choices=["ingest", "latency", "backlog", "connections", "burst", "features"])
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="hub worker counts for the ingest runs")
    ap.add_argument("--publishers", type=int, default=20, help="publishing devices in the ingest runs")
    sizes = FULL
    for key, value in sizes.items():
        ap.add_argument(f"--{key.replace('_', '-')}", type=type(value) if not isinstance(value, list) else float,
                        nargs="+" if isinstance(value, list) else None, default=None)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "suite.json"))
    ap.add_argument("--update", action="store_true", help="re-run only --only parts; keep the others in --out")
    args = ap.parse_args()
    base = FULL if args.full else QUICK
    for key, value in base.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    parts = args.only or ["ingest", "latency", "backlog", "connections", "burst", "features"]
    results: dict = {"measured_at": datetime.now(UTC).isoformat(), "db": args.db,
                     "size": "full" if args.full else "quick",
                     "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                 "platform": platform.platform(), "load_avg_at_start": os.getloadavg()},
                     "command": " ".join(sys.argv)}
    if args.update and Path(args.out).exists():
        kept = json.loads(Path(args.out).read_text())
        results = {**kept, **{k: v for k, v in results.items() if k not in ("command",)},
                   "command": f"{kept.get('command', '')} ; {results['command']}"}
    benches = {"ingest": bench_ingest, "latency": bench_latency, "backlog": bench_backlog,
               "connections": bench_connections, "burst": bench_burst, "features": bench_features}
    for part in parts:
        print(f"[{part}] ...", flush=True)
        t = time.monotonic()
        results[part] = benches[part](args)
        results[part]["wall_s"] = round(time.monotonic() - t, 1)
    print()
    print(f"{'measure':<66}{'value':>22}  target")
    for name, value, target in table(results):
        print(f"{name:<66}{value:>22}  {target}")
    print(f"cores: {os.cpu_count()}  db: {args.db}  size: {results['size']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {Path(args.out).relative_to(ROOT) if Path(args.out).is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
