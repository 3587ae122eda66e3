"""Hub CPU per receipted message for two (or more) source trees, alternating in one run on one broker.

    python -m benchmarks.ingest_ab before=/tmp/old-tree after=. [--rounds 3] [--db postgresql|sqlite]

Each tree is a checkout of this repository (e.g. a copy with one change taken out). Per round: one raw
pass-through, then every tree's real ``gridline hub serve`` (started with the tree as working directory, so it
runs that tree's code) receipts the same PositionFix load as ingest_throughput.py; the order of the trees flips
every round. Prints per tree the rate, the ratio to the round's raw rate and, the figure that survives a busy
machine best, the hub's CPU per message (core-µs, from /proc) with its two busiest threads (paho's network
thread and the writer). Each hub runs with session expiry 0, so a finished hub leaves no session queueing the
next tree's uplinks.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.ingest_throughput import CpuSplit, make_payloads, publisher, run_raw
from benchmarks.rig import CLK_TCK, fresh_db, wait_http
from hub.mqtt.embedded_broker import ManagedBroker, free_port

DEVICES, PER_DEVICE = 20, 1000


def thread_cpu_s(pid: int) -> dict[str, float]:
    out = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[stat.parent.name] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def ingest_once(tree: Path, broker, db_url: str, work: Path, payloads: dict, tag: str) -> dict:
    port = free_port()
    env = {**os.environ, "GRIDLINE_SESSION_EXPIRY_S": "0"}
    with open(work / f"{tag}.log", "ab") as log:
        hub = subprocess.Popen([sys.executable, "-m", "gridline", "hub", "serve", "--broker", broker.url,
                                "--db", db_url, "--http", f"127.0.0.1:{port}", "--data-dir", str(work / f"{tag}-data"),
                                "--client-id", f"ab-{tag}"], cwd=tree, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_http(port, 300)
        q, started = mp.Queue(), mp.Event()
        pub = mp.Process(target=publisher, args=(broker.host, broker.port, payloads, "ingest", "", q, started))
        pub.start()
        started.wait(60)
        threads0 = thread_cpu_s(hub.pid)
        split = CpuSplit(broker=int(broker.pid_file.read_text()), hub=hub.pid)
        r = q.get(timeout=600)
        cpu = split.stop(publisher=r["cpu_s"])
        threads1 = thread_cpu_s(hub.pid)
        pub.join(30)
    finally:
        hub.terminate()
        hub.wait(60)
    busiest = sorted((v - threads0.get(k, 0.0) for k, v in threads1.items()), reverse=True)[:2]
    return {"rate": r["count"] / (r["t_end"] - r["t0"]), "hub_us": 1e6 * cpu["hub"] / r["count"],
            "threads_us": [round(1e6 * t / r["count"], 1) for t in busiest], "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs="+", help="name=path")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    args = ap.parse_args()
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.trees)}
    raw_rates: list[float] = []
    results: dict[str, list[dict]] = {name: [] for name in trees}
    ids = [f"ab-{i:03d}" for i in range(DEVICES)]
    with tempfile.TemporaryDirectory() as tmp, ManagedBroker(Path(tmp) / "broker", engine="mosquitto") as broker:
        work = Path(tmp)
        dbs = {name: fresh_db(args.db, work / name) for name in trees}
        try:
            for name, tree in trees.items():
                (work / name).mkdir(exist_ok=True)
                subprocess.run([sys.executable, "-m", "gridline", "hub", "migrate", "--db", dbs[name][0]], cwd=tree,
                               check=True, stdout=subprocess.DEVNULL)
            for rnd in range(args.rounds):
                raw = run_raw(broker.host, broker.port, make_payloads(ids, PER_DEVICE, rnd * 100), DEVICES * PER_DEVICE,
                              rnd, int(broker.pid_file.read_text()))
                raw_rates.append(raw["rate"])
                print(f"round {rnd}: raw {raw['rate']:7.0f} msg/s", flush=True)
                order = list(trees) if rnd % 2 == 0 else list(reversed(trees))
                for k, name in enumerate(order):
                    payloads = make_payloads(ids, PER_DEVICE, rnd * 100 + 1 + k)  # fresh ids for every hub
                    res = ingest_once(trees[name], broker, dbs[name][0], work, payloads, f"{name}-{rnd}")
                    results[name].append(res)
                    print(f"  {name:<10} {res['rate']:7.0f} msg/s  ratio {res['rate'] / raw['rate']:.2f}  "
                          f"hub {res['hub_us']:5.1f} us/msg (threads {res['threads_us']})  cpu s {res['cpu_s']}",
                          flush=True)
        finally:
            for _, drop in dbs.values():
                drop()
    raw_med = statistics.median(raw_rates)
    print(f"\n{'tree':<10}{'msg/s':>9}{'ratio':>8}{'hub us/msg':>12}   (medians; raw {raw_med:.0f} msg/s)")
    for name, rows in results.items():
        rate = statistics.median(r["rate"] for r in rows)
        print(f"{name:<10}{rate:>9.0f}{rate / raw_med:>8.2f}{statistics.median(r['hub_us'] for r in rows):>12.1f}")


if __name__ == "__main__":
    main()
