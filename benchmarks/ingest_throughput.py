"""Raw broker pass-through vs receipted hub ingest, measured side by side in one run.

    python -m benchmarks.ingest_throughput [--messages 20000] [--devices 20] [--rounds 3] [--db sqlite|postgresql://...]

Both phases send the same bytes (real encoded PositionFix records, ~300 B) from the same publisher process
(plain paho clients, QoS 1, MQTT 5) through the same broker (a fresh Mosquitto on a free port):

1. raw: a plain paho subscriber counts the messages; the clock stops at the last one received.
2. ingest: the real hub (bridge + batch writer + SQLite/PostgreSQL) stores them; the clock stops when the last
   receipt listing a committed id reaches the publishing device. Records counted are durable in the hub DB.

Rounds alternate raw/ingest so machine noise hits both; the table reports medians and the ratio, and where the CPU
went in each phase (core-seconds per role, from /proc: publisher, broker, subscriber or hub, PostgreSQL, and the
whole machine), because on a small machine the ratio is bounded by cores as much as by code.
Prints a table and writes benchmarks/results/ingest_throughput.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

import protocol
from benchmarks.rig import CLK_TCK, cpu_seconds
from hub.mqtt.embedded_broker import ManagedBroker


def machine_busy_s() -> float:
    """Core-seconds all CPUs spent not idle since boot (/proc/stat), for "was the machine saturated"."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / CLK_TCK  # minus idle and iowait


def postgres_cpu_s() -> dict[int, float]:
    """Core-seconds used so far by each live PostgreSQL process (other users of the server count too)."""
    out = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                out[int(comm.parent.name)] = cpu_seconds(int(comm.parent.name))
        except (OSError, ValueError, IndexError):
            pass  # exited meanwhile
    return out


class CpuSplit:
    """CPU used between ``start()`` and ``stop()`` by pids the caller names, PostgreSQL and the whole machine."""

    def __init__(self, **pids: int):
        self.pids = pids
        self.before = self._sample()

    def _sample(self) -> dict:
        out = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        out["postgres"], out["machine"] = postgres_cpu_s(), machine_busy_s()
        return out

    def stop(self, **reported: float) -> dict[str, float]:
        """``reported``: core-seconds that processes measured themselves (ones gone before we could look)."""
        after, before = self._sample(), self.before
        pg_before, pg_after = before.pop("postgres"), after.pop("postgres")
        out = {k: after[k] - before[k] for k in after}
        out["postgres"] = sum(v - pg_before[pid] for pid, v in pg_after.items() if pid in pg_before)
        return {k: round(v, 2) for k, v in {**out, **reported}.items()}


def make_payloads(device_ids: list[str], per_device: int, round_no: int) -> dict[str, list[tuple[str, str, bytes]]]:
    """(record id, topic, payload) per device: fresh ids each round so the hub cannot short-cut duplicates."""
    now = datetime.now(UTC)
    out: dict[str, list[tuple[str, str, bytes]]] = {}
    for dev in device_ids:
        rows = []
        for seq in range(1, per_device + 1):
            fix = protocol.PositionFix(id=protocol.uuid7(), device_id=dev, seq=seq + round_no * per_device,
                                       created_at=now, speed_mps=1.2, heading_deg=90.0,
                                       position=protocol.Position(lat=22.25 + seq * 1e-6, lon=113.53, accuracy_m=5))
            rows.append((fix.id, protocol.topics.uplink(dev, protocol.UplinkKind.POSITION), protocol.encode(fix)))
        out[dev] = rows
    return out


def _client(client_id: str, host: str, port: int) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(100)
    c.max_queued_messages_set(0)
    c.connect(host, port, keepalive=60, clean_start=True)
    return c


def publisher(host: str, port: int, payloads: dict, mode: str, raw_topic_prefix: str, result_q, started=None) -> None:
    """One process, one paho client per device. In ingest mode each device also awaits its receipts.
    ``started`` (an event) is set when the clock starts, for whoever measures CPU over the timed window."""
    expected = {dev: {rid for rid, _, _ in rows} for dev, rows in payloads.items()}
    total = sum(len(v) for v in expected.values())
    acked = 0
    done = threading.Event()
    lock = threading.Lock()
    last = [0.0]
    clients = []
    for dev, rows in payloads.items():
        c = _client(f"bench-{mode}-{dev}", host, port)
        if mode == "ingest":
            def on_message(client, userdata, msg, dev=dev):
                nonlocal acked
                receipt = protocol.decode_receipt(msg.topic, msg.payload)
                with lock:
                    fresh = expected[dev].intersection(receipt.committed)
                    expected[dev].difference_update(fresh)
                    acked += len(fresh)
                    if acked >= total:
                        last[0] = time.time()
                        done.set()
            c.on_message = on_message
            c.subscribe(protocol.topics.receipt(dev), qos=1)
        c.loop_start()
        clients.append((c, dev, rows))
    time.sleep(1.0)  # connections and subscriptions settle before the clock starts
    t0, cpu0 = time.time(), time.process_time()
    if started is not None:
        started.set()
    for c, dev, rows in clients:
        for _, topic, payload in rows:
            c.publish(topic if mode == "ingest" else f"{raw_topic_prefix}/{dev}", payload, qos=1)
    if mode == "ingest":
        finished = done.wait(300)
        result_q.put({"t0": t0, "t_end": last[0] if finished else time.time(), "count": acked,
                      "cpu_s": time.process_time() - cpu0})
    else:
        result_q.put({"t0": t0, "cpu_s": time.process_time() - cpu0})  # sending only: the subscriber times the end
    time.sleep(0.5)
    for c, _, _ in clients:
        c.loop_stop()
        c.disconnect()


def raw_subscriber(host: str, port: int, prefix: str, total: int, ready, result_q) -> None:
    count = 0
    done = threading.Event()
    last = [0.0]

    def on_message(client, userdata, msg):
        nonlocal count
        count += 1
        if count >= total:
            last[0] = time.time()
            done.set()

    c = _client("bench-raw-sub", host, port)
    c.on_message = on_message
    c.subscribe(f"{prefix}/#", qos=1)
    c.loop_start()
    time.sleep(0.5)
    cpu0 = time.process_time()
    ready.set()
    finished = done.wait(300)
    result_q.put({"t_end": last[0] if finished else time.time(), "count": count, "cpu_s": time.process_time() - cpu0})
    c.loop_stop()
    c.disconnect()


def hub_process(broker_url: str, db_url: str, data_dir: str, ready, stop) -> None:
    from hub.process.runner import HubRunner
    from hub.settings import HubSettings

    # session_expiry_s=0: a finished round's hub leaves no session behind; a persistent one would stay subscribed
    # to every uplink and the broker would queue each later round's messages into it too (extra broker work
    # that only the ingest phases pay).
    settings = HubSettings(broker_url=broker_url, db_url=db_url, data_dir=Path(data_dir), http_port=0,
                           client_id=f"bench-hub-{os.getpid()}", session_expiry_s=0)
    runner = HubRunner(settings).start()
    time.sleep(1.0)
    ready.set()
    stop.wait()
    runner.stop()


def run_raw(host, port, payloads, total, round_no, broker_pid: int) -> dict:
    q = mp.Queue()
    ready = mp.Event()
    prefix = f"bench/raw/{round_no}"
    sub = mp.Process(target=raw_subscriber, args=(host, port, prefix, total, ready, q))
    sub.start()
    ready.wait(30)
    started = mp.Event()
    pub = mp.Process(target=publisher, args=(host, port, payloads, "raw", prefix, q, started))
    pub.start()
    started.wait(60)
    split = CpuSplit(broker=broker_pid)
    results = [q.get(timeout=400), q.get(timeout=400)]
    start = next(r for r in results if "t0" in r)
    end = next(r for r in results if "t_end" in r)
    cpu = split.stop(publisher=start["cpu_s"], subscriber=end["cpu_s"])
    pub.join(30)
    sub.join(30)
    seconds = end["t_end"] - start["t0"]
    return {"count": end["count"], "seconds": seconds, "rate": end["count"] / seconds, "cpu_s": cpu}


def run_ingest(host, port, payloads, db_url, data_dir, broker_pid: int) -> dict:
    ready, stop = mp.Event(), mp.Event()
    hub = mp.Process(target=hub_process, args=(f"mqtt://{host}:{port}", db_url, data_dir, ready, stop))
    hub.start()
    if not ready.wait(60):
        raise RuntimeError("hub did not start")
    q = mp.Queue()
    started = mp.Event()
    pub = mp.Process(target=publisher, args=(host, port, payloads, "ingest", "", q, started))
    pub.start()
    started.wait(60)
    split = CpuSplit(broker=broker_pid, hub=hub.pid)
    r = q.get(timeout=400)
    cpu = split.stop(publisher=r["cpu_s"])
    pub.join(30)
    stop.set()
    hub.join(60)
    seconds = r["t_end"] - r["t0"]
    return {"count": r["count"], "seconds": seconds, "rate": r["count"] / seconds, "cpu_s": cpu}


def cpu_line(phase: dict) -> str:
    """Core-seconds per role in one phase, and the machine's busy cores over the phase's wall time."""
    cpu = dict(phase["cpu_s"])
    machine = cpu.pop("machine")
    roles = "  ".join(f"{k} {v:.1f}" for k, v in cpu.items())
    return f"cpu s: {roles}  | machine busy {machine / phase['seconds']:.2f} cores over {phase['seconds']:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", default="sqlite", help="'sqlite' (a fresh file per round) or a PostgreSQL URL")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "ingest_throughput.json"))
    args = ap.parse_args()

    per_device = args.messages // args.devices
    total = per_device * args.devices
    devices = [f"bench-{i:04d}" for i in range(args.devices)]
    raw_rates, ingest_rates, rows = [], [], []
    with tempfile.TemporaryDirectory() as tmp, ManagedBroker(Path(tmp) / "broker", engine="mosquitto") as broker:
        broker_pid = int(broker.pid_file.read_text())
        for rnd in range(args.rounds):
            payloads = make_payloads(devices, per_device, rnd)
            raw = run_raw(broker.host, broker.port, payloads, total, rnd, broker_pid)
            hub_dir = Path(tmp) / f"hub-{rnd}"
            db_url = f"sqlite:///{hub_dir}/hub.db" if args.db == "sqlite" else args.db
            hub_dir.mkdir()
            ing = run_ingest(broker.host, broker.port, payloads, db_url, str(hub_dir), broker_pid)
            if raw["count"] != total or ing["count"] != total:
                raise SystemExit(f"round {rnd}: expected {total}, raw got {raw['count']}, ingest got {ing['count']}")
            raw_rates.append(raw["rate"])
            ingest_rates.append(ing["rate"])
            rows.append({"round": rnd, "raw": raw, "ingest": ing, "ratio": ing["rate"] / raw["rate"]})
            print(f"round {rnd}: raw {raw['rate']:8.0f} msg/s   ingest {ing['rate']:8.0f} msg/s   "
                  f"ratio {ing['rate'] / raw['rate']:.2f}", flush=True)
            print(f"    raw    {cpu_line(raw)}\n    ingest {cpu_line(ing)}", flush=True)
    raw_med, ing_med = statistics.median(raw_rates), statistics.median(ingest_rates)
    summary = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "messages_per_round": total, "devices": args.devices, "db": "sqlite" if args.db == "sqlite" else "postgresql",
        "raw_msgs_per_s_median": raw_med, "ingest_msgs_per_s_median": ing_med, "ratio_of_medians": ing_med / raw_med,
        "rounds": rows,
    }
    print()
    print(f"{'measure':<44}{'value':>12}")
    print(f"{'raw broker pass-through QoS1 (msg/s)':<44}{raw_med:>12.0f}")
    print(f"{'receipted hub ingest (msg/s)':<44}{ing_med:>12.0f}")
    print(f"{'ratio ingest/raw (target >= 0.8)':<44}{ing_med / raw_med:>12.2f}")
    print(f"{'messages per round x rounds':<44}{f'{total} x {args.rounds}':>12}")
    print(f"{'cores':<44}{os.cpu_count():>12}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
