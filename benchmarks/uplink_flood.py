"""One device floods the hub while another sends normally: what the per-device uplink limit does for the neighbour.

A real `gridline hub serve` process on a fresh Mosquitto and database (``rig.HubRig``), three phases:

1. calm alone: one well-behaved device publishes a PositionFix every 1/``--calm-rate`` s; its receipt latency;
2. flood, limit on: the same, while a buggy device (a separate process that ignores receipts and deferrals)
   publishes valid records QoS 1 as fast as it can; offered and stored rates for the flooder;
3. flood, limit off (``device_rate_per_s`` = 0), on a fresh hub: the same flood, for comparison.

    .venv/bin/python -m benchmarks.uplink_flood [--seconds 10] [--rate 20] [--burst 1000] [--db sqlite]

Latency is publish -> receipt naming the record, measured by the device (monotonic clock).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import threading
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt

import protocol
from benchmarks.rig import HubRig, count_records, cpu_seconds, pct
from protocol import Position, PositionFix, UplinkKind, encode, topics, uuid7


def _fix(device_id: str, seq: int) -> PositionFix:
    return PositionFix(id=uuid7(), device_id=device_id, seq=seq, created_at=datetime.now(UTC),
                       position=Position(lat=22.25, lon=113.53 + seq * 1e-7, accuracy_m=8.0))


def _client(device_id: str, port: int) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=device_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=60, clean_start=True)
    return client


def flood(port: int, device_id: str, seconds: float, count, ready, go) -> None:
    """A buggy device: valid records, QoS 1, as fast as the broker takes them (paho's queue kept short, so what
    is offered is what the broker acknowledged); receipts are never read. ``count``: messages the broker took."""
    payloads = [encode(_fix(device_id, seq)) for seq in range(1, 300_001)]
    client = _client(device_id, port)
    acked = [0]
    client.on_publish = lambda *args: acked.__setitem__(0, acked[0] + 1)
    client.loop_start()
    topic = topics.uplink(device_id, UplinkKind.POSITION)
    ready.set()
    go.wait()
    sent, end = 0, time.monotonic() + seconds
    while time.monotonic() < end and sent < len(payloads):
        if sent - acked[0] > 2000:
            time.sleep(0.0005)
            continue
        client.publish(topic, payloads[sent], qos=1)
        sent += 1
    deadline = time.monotonic() + 30
    while acked[0] < sent and time.monotonic() < deadline:
        time.sleep(0.01)
    count.value = acked[0]
    client.loop_stop()
    client.disconnect()


class CalmDevice:
    """A well-behaved device: one record every ``period`` s, latency to the receipt that commits it."""

    def __init__(self, port: int, device_id: str):
        self.device_id = device_id
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []
        self.deferred = 0
        self.lock = threading.Lock()
        self.client = _client(device_id, port)
        self.client.on_message = self._on_receipt
        self.client.subscribe(topics.receipt(device_id), qos=1)
        self.client.loop_start()
        self.seq = 0

    def _on_receipt(self, client, userdata, message) -> None:
        now = time.monotonic()
        receipt = protocol.decode_receipt(message.topic, message.payload)
        with self.lock:
            for rid in receipt.committed:
                t = self.sent_at.pop(rid, None)
                if t is not None:
                    self.latencies.append((now - t) * 1000)
            self.deferred += len(receipt.deferred or [])

    def run(self, seconds: float, period: float) -> list[float]:
        with self.lock:
            self.latencies = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.seq += 1
            fix = _fix(self.device_id, self.seq)
            with self.lock:
                self.sent_at[fix.id] = time.monotonic()
            self.client.publish(topics.uplink(self.device_id, UplinkKind.POSITION), encode(fix), qos=1)
            time.sleep(period)
        deadline = time.monotonic() + 60
        while self.sent_at and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.lock:
            return sorted(self.latencies)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def phase(rig: HubRig, name: str, seconds: float, calm_period: float, flooding: bool) -> dict:
    calm = CalmDevice(rig.broker.port, f"calm-{name}")
    time.sleep(0.5)
    count, ready, go = mp.Value("q", 0), mp.Event(), mp.Event()
    proc = None
    if flooding:
        proc = mp.Process(target=flood, args=(rig.broker.port, f"flood-{name}", seconds, count, ready, go))
        proc.start()
        ready.wait(120)
    idle0 = cpu_seconds(rig.pids[0])
    time.sleep(2.0)
    idle_per_s = (cpu_seconds(rig.pids[0]) - idle0) / 2.0  # the jobs' polls: taken out of the per-message cost
    before = rig.health()["counters"]
    cpu0 = cpu_seconds(rig.pids[0])
    go.set()
    t0 = time.monotonic()
    latencies = calm.run(seconds, calm_period)
    if proc is not None:
        proc.join(120)
    # Until the hub has taken every message the broker holds for it (the broker queues what the hub has not
    # acknowledged): "stored" then counts what it kept of the whole flood, over the time it took to get it.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        health = rig.health()
        if health["counters"]["received"] - before["received"] >= count.value + calm.seq and not health["queue_depth"]:
            break
        time.sleep(0.2)
    hub_s = time.monotonic() - t0
    hub_cpu_s = cpu_seconds(rig.pids[0]) - cpu0  # the hub's own work; wall time on a shared machine is noise
    calm.stop()
    stored = count_records(rig.db_url, f"flood-{name}") if flooding else 0
    after = rig.health()["counters"]
    return {"phase": name, "seconds": seconds, "flood_offered_per_s": round(count.value / seconds),
            "hub_took_s": round(hub_s, 1), "hub_msgs_per_s": round((count.value + calm.seq) / hub_s),
            "hub_cpu_us_per_msg": round((hub_cpu_s - idle_per_s * hub_s) * 1e6 / (count.value + calm.seq)),
            "flood_stored": stored, "flood_stored_per_s": round(stored / hub_s, 1),
            "rate_limited": after.get("rate_limited", 0) - before.get("rate_limited", 0),
            "calm_sent": calm.seq, "calm_receipted": len(latencies), "calm_deferred": calm.deferred,
            "calm_p50_ms": pct(latencies, 50), "calm_p99_ms": pct(latencies, 99)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--calm-rate", type=float, default=10.0, help="the neighbour's records per second")
    ap.add_argument("--rate", type=float, default=20.0, help="device_rate_per_s for the limited hub")
    ap.add_argument("--burst", type=int, default=1000, help="device_burst for the limited hub")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = ap.parse_args()
    period = 1 / args.calm_rate
    rows = []
    limited = {"GRIDLINE_DEVICE_RATE_PER_S": str(args.rate), "GRIDLINE_DEVICE_BURST": str(args.burst)}
    with HubRig(args.db, env=limited) as rig:
        rows.append(phase(rig, "alone", args.seconds, period, flooding=False))
        rows.append(phase(rig, "limited", args.seconds, period, flooding=True))
    with HubRig(args.db, env={"GRIDLINE_DEVICE_RATE_PER_S": "0"}) as rig:
        rows.append(phase(rig, "unlimited", args.seconds, period, flooding=True))
    print(f"\nper-device limit {args.rate:g}/s, burst {args.burst}; {args.db}; {args.seconds:g} s per phase; "
          f"calm device {args.calm_rate:g} records/s")
    cols = ["phase", "flood_offered_per_s", "hub_took_s", "hub_msgs_per_s", "hub_cpu_us_per_msg", "flood_stored",
            "flood_stored_per_s",
            "rate_limited", "calm_sent", "calm_receipted", "calm_deferred", "calm_p50_ms", "calm_p99_ms"]
    print(" | ".join(cols))
    for row in rows:
        print(" | ".join(str(row[c]) for c in cols))


if __name__ == "__main__":
    main()
