"""Profile the hub (a real `gridline hub serve` process) under receipted ingest with py-spy.

    python -m benchmarks.profile_ingest [--messages 20000] [--devices 20] [--db sqlite|postgresql://...]
                                        [--top 25] [--out benchmarks/results/profile_ingest.txt]

Starts a fresh Mosquitto and the hub, attaches ``py-spy record --format raw`` once the hub is up (all threads,
idle samples dropped; start-up imports are not in the profile), publishes the same PositionFix load as
ingest_throughput.py and waits for every receipt, then stops py-spy and the hub and prints where the hub's CPU
went: top functions by self samples and by inclusive samples.
Needs ``py-spy`` in the venv (``pip install py-spy``) and ptrace rights (root in the dev container).
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ingest_throughput import make_payloads, publisher
from benchmarks.rig import wait_http
from hub.mqtt.embedded_broker import ManagedBroker, free_port

ROOT = Path(__file__).resolve().parents[1]

def summarise(raw_file: Path, top: int) -> str:
    """Collapsed stacks (``frame;frame;... count``) → top self / inclusive functions."""
    self_c: collections.Counter = collections.Counter()
    incl_c: collections.Counter = collections.Counter()
    total = 0
    for line in raw_file.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        frames = stack.split(";")
        total += n
        # The first frame is the thread ("process ...;thread (...)"); keep function names short.
        names = [f.split(" (")[0] + " " + f.rsplit("/", 1)[-1].rstrip(")") for f in frames[1:]]
        if names:
            self_c[names[-1]] += n
        for name in set(names):
            incl_c[name] += n
    out = [f"samples: {total}", "", f"{'self %':>7}  function"]
    out += [f"{100 * c / total:7.1f}  {name}" for name, c in self_c.most_common(top)]
    out += ["", f"{'incl %':>7}  function"]
    out += [f"{100 * c / total:7.1f}  {name}" for name, c in incl_c.most_common(top)]
    return "\n".join(out)


def callers(raw_file: Path, name: str, depth: int = 4) -> str:
    """The most common call paths (``depth`` frames above) into functions whose frame text contains ``name``."""
    paths: collections.Counter = collections.Counter()
    for line in raw_file.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        for i, f in enumerate(frames):
            if name in f:
                paths[" <- ".join(x.split(" (")[0] for x in reversed(frames[max(0, i - depth):i + 1]))] += int(n)
                break
    return f"callers of {name}:\n" + "\n".join(f"{c:6d}  {p}" for p, c in paths.most_common(8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--focus", nargs="*", default=[], help="also show the callers of these functions")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "profile_ingest.txt"))
    args = ap.parse_args()
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    work = Path(tempfile.mkdtemp(prefix="gridline-profile-"))
    broker = ManagedBroker(work / "broker", engine="mosquitto").start()
    db = args.db if args.db != "sqlite" else f"sqlite:///{work / 'hub.db'}"
    http = free_port()
    raw = work / "profile.txt"
    hub_cmd = [sys.executable, "-m", "gridline", "hub", "serve", "--broker", broker.url, "--db", db,
               "--http", f"127.0.0.1:{http}", "--data-dir", str(work / "hub"), "--client-id", "profile-hub"]
    hub = subprocess.Popen(hub_cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spy = None
    try:
        wait_http(http)
        spy = subprocess.Popen([pyspy, "record", "--format", "raw", "--threads", "--nonblocking", "--rate",
                                str(args.rate), "-o", str(raw), "--pid", str(hub.pid)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attached
        per = args.messages // args.devices
        payloads = make_payloads([f"prof-{i:04d}" for i in range(args.devices)], per, 0)
        q = mp.Queue()
        pub = mp.Process(target=publisher, args=(broker.host, broker.port, payloads, "ingest", "", q))
        pub.start()
        r = q.get(timeout=600)
        pub.join(30)
        rate = r["count"] / (r["t_end"] - r["t0"])
        print(f"receipted {r['count']} records at {rate:.0f} msg/s (under py-spy)")
    finally:
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy stops recording and writes the file
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
        hub.terminate()
        try:
            hub.wait(30)
        except subprocess.TimeoutExpired:
            hub.kill()
        broker.stop()
    report = summarise(raw, args.top)  # py-spy drops idle samples: this is where CPU went
    for name in args.focus:
        report += "\n\n" + callers(raw, name)
    print(report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
