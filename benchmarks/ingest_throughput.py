"""Raw broker pass-through vs receipted hub ingest, measured side by side in one run.

    python benchmarks/ingest_throughput.py [--messages 20000] [--devices 20] [--rounds 3] [--db sqlite|postgresql://...]

Both phases send the same bytes (real encoded PositionFix records, ~300 B) from the same publisher process
(plain paho clients, QoS 1, MQTT 5) through the same broker (a fresh Mosquitto on a free port):

1. raw: a plain paho subscriber counts the messages; the clock stops at the last one received.
2. ingest: the real hub (bridge + batch writer + SQLite/PostgreSQL) stores them; the clock stops when the last
   receipt listing a committed id reaches the publishing device. Records counted are durable in the hub DB.

Rounds alternate raw/ingest so machine noise hits both; the table reports medians and the ratio.
Prints a table and writes benchmarks/results/ingest_throughput.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import protocol  # noqa: E402
from hub.embedded_broker import ManagedBroker  # noqa: E402


def make_payloads(device_ids: list[str], per_device: int, round_no: int) -> dict[str, list[tuple[str, str, bytes]]]:
    """(record id, topic, payload) per device: fresh ids each round so the hub cannot short-cut duplicates."""
    now = datetime.now(timezone.utc)
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


def publisher(host: str, port: int, payloads: dict, mode: str, raw_topic_prefix: str, result_q) -> None:
    """One process, one paho client per device. In ingest mode each device also awaits its receipts."""
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
    t0 = time.time()
    for c, dev, rows in clients:
        for _, topic, payload in rows:
            c.publish(topic if mode == "ingest" else f"{raw_topic_prefix}/{dev}", payload, qos=1)
    if mode == "ingest":
        finished = done.wait(300)
        result_q.put({"t0": t0, "t_end": last[0] if finished else time.time(), "count": acked})
    else:
        result_q.put({"t0": t0})
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
    ready.set()
    finished = done.wait(300)
    result_q.put({"t_end": last[0] if finished else time.time(), "count": count})
    c.loop_stop()
    c.disconnect()


def hub_process(broker_url: str, db_url: str, data_dir: str, ready, stop) -> None:
    from hub.runner import HubRunner
    from hub.settings import HubSettings

    settings = HubSettings(broker_url=broker_url, db_url=db_url, data_dir=Path(data_dir), http_port=0,
                           client_id=f"bench-hub-{os.getpid()}")
    runner = HubRunner(settings).start()
    time.sleep(1.0)
    ready.set()
    stop.wait()
    runner.stop()


def run_raw(host, port, payloads, total, round_no) -> dict:
    q = mp.Queue()
    ready = mp.Event()
    prefix = f"bench/raw/{round_no}"
    sub = mp.Process(target=raw_subscriber, args=(host, port, prefix, total, ready, q))
    sub.start()
    ready.wait(30)
    pub = mp.Process(target=publisher, args=(host, port, payloads, "raw", prefix, q))
    pub.start()
    results = [q.get(timeout=400), q.get(timeout=400)]
    pub.join(30)
    sub.join(30)
    t0 = next(r["t0"] for r in results if "t0" in r)
    end = next(r for r in results if "t_end" in r)
    return {"count": end["count"], "seconds": end["t_end"] - t0, "rate": end["count"] / (end["t_end"] - t0)}


def run_ingest(host, port, payloads, db_url, data_dir) -> dict:
    ready, stop = mp.Event(), mp.Event()
    hub = mp.Process(target=hub_process, args=(f"mqtt://{host}:{port}", db_url, data_dir, ready, stop))
    hub.start()
    if not ready.wait(60):
        raise RuntimeError("hub did not start")
    q = mp.Queue()
    pub = mp.Process(target=publisher, args=(host, port, payloads, "ingest", "", q))
    pub.start()
    r = q.get(timeout=400)
    pub.join(30)
    stop.set()
    hub.join(60)
    return {"count": r["count"], "seconds": r["t_end"] - r["t0"], "rate": r["count"] / (r["t_end"] - r["t0"])}


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
        for rnd in range(args.rounds):
            payloads = make_payloads(devices, per_device, rnd)
            raw = run_raw(broker.host, broker.port, payloads, total, rnd)
            hub_dir = Path(tmp) / f"hub-{rnd}"
            db_url = f"sqlite:///{hub_dir}/hub.db" if args.db == "sqlite" else args.db
            hub_dir.mkdir()
            ing = run_ingest(broker.host, broker.port, payloads, db_url, str(hub_dir))
            if raw["count"] != total or ing["count"] != total:
                raise SystemExit(f"round {rnd}: expected {total}, raw got {raw['count']}, ingest got {ing['count']}")
            raw_rates.append(raw["rate"])
            ingest_rates.append(ing["rate"])
            rows.append({"round": rnd, "raw": raw, "ingest": ing, "ratio": ing["rate"] / raw["rate"]})
            print(f"round {rnd}: raw {raw['rate']:8.0f} msg/s   ingest {ing['rate']:8.0f} msg/s   "
                  f"ratio {ing['rate'] / raw['rate']:.2f}", flush=True)
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
