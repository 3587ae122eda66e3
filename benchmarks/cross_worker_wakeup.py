"""Two hub workers on PostgreSQL: wake-ups through LISTEN/NOTIFY vs the fallback poll alone, side by side.

    python -m benchmarks.cross_worker_wakeup [--reports 60] [--rate 2] [--idle 30] [--rounds 1]
                                             [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Per mode, on a fresh database (sample community loaded) and a fresh Mosquitto: two `gridline hub serve
--share-group` workers; first idle for ``--idle`` seconds, counting the database's transactions
(``pg_stat_database.xact_commit + xact_rollback``: every statement the hub sends runs in one) per worker per
second; then five kiosks report at ``--rate`` per second and five grid leaders' phones time their tasks
(``report_to_task_latency.time_reports``: real terminal ``Device``s both ends). Modes:
- ``notify``: the defaults - rings reach the other worker by NOTIFY, jobs poll every ``job_listening_poll_s``
  (10 s) while listening;
- ``poll``: ``GRIDLINE_PG_NOTIFY_WAKEUPS=false`` - each worker's own rings only, jobs poll every 0.5 s.
The modes alternate ``--rounds`` times. Prints a table, writes benchmarks/results/cross_worker_wakeup.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from benchmarks.report_to_task_latency import _pct, time_reports
from benchmarks.rig import wait_http
from hub.mqtt.embedded_broker import ManagedBroker, free_port

ROOT = Path(__file__).resolve().parents[1]
MODES = {"notify": {}, "poll": {"GRIDLINE_PG_NOTIFY_WAKEUPS": "false"}}
GRIDLINE = [sys.executable, "-m", "gridline.cli"]


def transactions(admin: sa.Engine, db: str) -> int:
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                    "WHERE datname = :db"), {"db": db}).scalar_one()


def run_mode(mode: str, args, admin: sa.Engine, work: Path) -> dict:
    db = f"gridline_wake_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{db}"
    subprocess.run([*GRIDLINE, "hub", "community", "load-sample", "--db", url], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    broker = ManagedBroker(work / mode / "broker").start()
    env = {**os.environ, **MODES[mode], "GRIDLINE_SHARED_SESSION_EXPIRY_S": "10"}
    workers, logs = [], []
    try:
        for n in (1, 2):
            port = free_port()
            logs.append(open(work / f"{mode}-w{n}.log", "w"))
            workers.append(subprocess.Popen(
                [*GRIDLINE, "hub", "serve", "--broker", broker.url, "--db", url, "--http", f"127.0.0.1:{port}",
                 "--data-dir", str(work / mode / "hub"), "--client-id", f"bench-w{n}", "--share-group", "hubs"],
                cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT))
            wait_http(port)
        time.sleep(args.warmup)  # start-up catch-up passes, LISTEN connected
        before, started = transactions(admin, db), time.monotonic()
        time.sleep(args.idle)
        idle_tps = (transactions(admin, db) - before - 1) / (time.monotonic() - started) / len(workers)
        sent_at, arrived = time_reports(broker.url, work / mode / "dev", args.reports, args.rate, args.settle)
        latencies = sorted((arrived[t] - sent_at[t]) * 1000 for t in arrived)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(30)
        for log in logs:
            log.close()
        broker.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    return {"mode": mode, "idle_tx_per_s_per_worker": round(idle_tps, 2), "reports": args.reports,
            "tasks": len(latencies), "p50_ms": _pct(latencies, 50), "p99_ms": _pct(latencies, 99),
            "max_ms": round(latencies[-1], 1) if latencies else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                    help="an admin URL: a database per mode is created and dropped beside it")
    ap.add_argument("--reports", type=int, default=60)
    ap.add_argument("--rate", type=float, default=2.0, help="reports per second")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle counting per mode")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=30.0, help="seconds to wait for the last tasks")
    ap.add_argument("--rounds", type=int, default=1, help="alternations of the two modes")
    args = ap.parse_args()
    admin = sa.create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    work = Path(tempfile.mkdtemp(prefix="gridline-wakeup-"))
    results = []
    try:
        for _ in range(args.rounds):
            for mode in MODES:
                results.append(run_mode(mode, args, admin, work))
    finally:
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'mode':>7} {'idle tx/s/worker':>17} {'reports':>8} {'tasks':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r['mode']:>7} {r['idle_tx_per_s_per_worker']:>17} {r['reports']:>8} {r['tasks']:>6} "
              f"{r['p50_ms']!s:>8} {r['p99_ms']!s:>8} {r['max_ms']!s:>8}")
    out = ROOT / "benchmarks" / "results" / "cross_worker_wakeup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(), "cores": os.cpu_count(),
                               "runs": results}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
