"""Receipted ingest with a city's device mix (many devices, one or two messages each) against the firehose mix.

    python -m benchmarks.city_mix [--messages 20000] [--wide-devices 20000] [--rounds 3] [--connections 20]
                                  [--rss-devices 100000] [--settle 65] [--db postgresql|sqlite]
                                  [--profile firehose wide] [--out benchmarks/results/city_mix.json]

Why: ingest_throughput.py and run_all.py send 20 devices x 1,000 records. The hub commits a batch (<= 500
messages, <= 20 ms) in one transaction and then publishes ONE receipt per device in the batch, and upserts one
devices row per device in it, so a firehose costs about one receipt per 25 messages. In a city (docs/scaling.md
section 4: 100,000 phones sending a position every 5-30 s) nearly every message in a batch comes from another
device: about one receipt and one devices row per message. This measures what that costs.

What: rounds alternate two mixes of the same number of messages, each on a fresh HubRig (Mosquitto, a fresh
PostgreSQL database, one real `gridline hub serve` process):
  firehose  20 devices x (messages / 20)
  wide      ``--wide-devices`` distinct ids x (messages / wide-devices), a device's messages spread over the run
Both are sent by one publisher process over ``--connections`` MQTT connections (ids dealt round-robin), on the real
per-device topics, with real encoded PositionFix records (ingest_throughput.make_payloads). Each connection
subscribes to the receipt topics of the ids it sends for (Mosquitto without ACLs allows that) and a record counts
only when a receipt listing it arrives; the records are then counted in the database. Neither mix comes near the
per-device rate limit (hub/mqtt/uplink_limit.py: burst 20,000). Each rig runs the mix twice:
  live     the clock runs from the first publish to the last receipt. On 2 shared cores the Python publisher
           (~300 us/msg) is as busy as the hub, so batches stay small and the rate says as much about it.
  backlog  the hub is SIGSTOPped while the same number of fresh messages is sent (the broker queues them for the
           hub's session), then resumed: the clock runs from the resume to the last receipt. The hub sets the
           pace with full batches, as a worker at its limit does: this is the per-worker capacity figure.

Per mix: receipted msg/s; core-us per message of the hub, broker, PostgreSQL and publisher (/proc); receipts the
hub published per message and messages per batch (Δ of /api/health counters), the writer thread's store /
receipt / ack time per message (the same counters), hub RSS after the round. Then the memory phase: hub RSS and
peak (VmHWM) after ``--rss-devices`` messages from 20 devices and after the same number from as many distinct
ids (one each), on two fresh rigs, also after ``--settle`` s (past the hub's 60 s malloc_trim), for the 300 MB
target with a city's id count (devices table, limiter buckets). ``--profile MIX`` adds one backlog round of that
mix with the hub under py-spy: shares of the writer's and paho's stages, then benchmarks/profile_ingest.py's
summary. Writes benchmarks/results/city_mix.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

import protocol
from benchmarks.ingest_throughput import CpuSplit, make_payloads
from benchmarks.rig import HubRig, count_like, count_records, kernel_seconds, rss_mb

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "cm-"  # every device id of this benchmark; fresh rigs, so counting by prefix counts this round
SUBSCRIBE_CHUNK = 500  # receipt topics per SUBSCRIBE packet


def peak_rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def device_ids(kind: str, n: int) -> list[str]:
    return [f"{PREFIX}{kind}-{i:06d}" for i in range(n)]


def deal(payloads: dict[str, list], connections: int) -> list[dict[str, list]]:
    """Device ids round-robin over the connections (a device stays on one connection, as a phone would)."""
    conns: list[dict[str, list]] = [{} for _ in range(min(connections, len(payloads)))]
    for i, (dev, rows) in enumerate(payloads.items()):
        conns[i % len(conns)][dev] = rows
    return conns


def send_order(conns: list[dict[str, list]]) -> list[tuple[int, str, bytes]]:
    """(connection, topic, payload): every device's k-th message before anyone's (k+1)-th, connections
    interleaved, so each batch at the hub holds as many devices as the mix has."""
    per_conn = [list(c.values()) for c in conns]
    depth = max(len(rows) for c in per_conn for rows in c)
    order = []
    width = max(len(c) for c in per_conn)
    for k in range(depth):
        for d in range(width):
            for ci, devs in enumerate(per_conn):
                if d < len(devs) and k < len(devs[d]):
                    _, topic, payload = devs[d][k]
                    order.append((ci, topic, payload))
    return order


def mix_publisher(host: str, port: int, conns: list[dict[str, list]], tag: str, result_q, ready, go,
                  sent=None, resumed=None) -> None:
    """One process; per connection: subscribe to its devices' receipts (all SUBACKed, then ``ready``), on ``go``
    publish QoS 1, count record ids as receipts list them. Puts t0, t_end, count, receipts, cpu_s.
    Backlog mode (``sent`` given): once the broker has PUBACKed every message, set ``sent`` and wait for
    ``resumed`` (the hub was stopped meanwhile); the clock and the CPU count start there."""
    total = sum(len(rows) for c in conns for rows in c.values())
    lock = threading.Lock()
    done, subscribed, all_sent = threading.Event(), threading.Semaphore(0), threading.Event()
    state = {"acked": 0, "receipts": 0, "t_end": 0.0, "refused": 0, "pubacks": 0}
    clients, sub_packets = [], 0
    for i, conn in enumerate(conns):
        expected = {rid for rows in conn.values() for rid, _, _ in rows}

        def on_message(client, userdata, msg, expected=expected):
            receipt = protocol.decode_receipt(msg.topic, msg.payload)
            fresh = expected.intersection(receipt.committed)
            expected.difference_update(fresh)
            with lock:
                state["receipts"] += 1
                state["acked"] += len(fresh)
                if state["acked"] >= total and not done.is_set():
                    state["t_end"] = time.time()
                    done.set()

        def on_publish(client, userdata, mid, reason_code, properties):
            with lock:
                state["pubacks"] += 1
                if state["pubacks"] >= total:
                    all_sent.set()

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            with lock:
                state["refused"] += sum(1 for rc in reason_codes if rc.is_failure)
            subscribed.release()

        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cm-{tag}-conn{i}", protocol=mqtt.MQTTv5)
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(0)
        c.on_message, c.on_subscribe, c.on_publish = on_message, on_subscribe, on_publish
        c.connect(host, port, keepalive=120, clean_start=True)
        c.loop_start()
        topics = [(protocol.topics.receipt(dev), 1) for dev in conn]
        for k in range(0, len(topics), SUBSCRIBE_CHUNK):
            rc, _ = c.subscribe(topics[k:k + SUBSCRIBE_CHUNK])
            if rc != mqtt.MQTT_ERR_SUCCESS:
                raise RuntimeError(f"subscribing to receipts failed: {rc}")
            sub_packets += 1
        clients.append(c)
    for _ in range(sub_packets):
        if not subscribed.acquire(timeout=120):
            raise RuntimeError("receipt subscriptions were not acknowledged")
    if state["refused"]:
        raise RuntimeError(f"broker refused {state['refused']} receipt subscriptions")
    order = send_order(conns)
    time.sleep(1.0)  # connections settle before the clock starts
    ready.set()
    go.wait()
    t0, cpu0 = time.time(), time.process_time()
    for ci, topic, payload in order:
        clients[ci].publish(topic, payload, qos=1)
    if sent is not None:
        if not all_sent.wait(300):
            raise RuntimeError(f"broker acknowledged {state['pubacks']} of {total} messages")
        sent.set()
        resumed.wait()
        t0, cpu0 = time.time(), time.process_time()  # the parent's clock (hub resumed) is the one reported
    finished = done.wait(600)
    result_q.put({"t0": t0, "t_end": state["t_end"] if finished else time.time(), "count": state["acked"],
                  "receipts": state["receipts"], "cpu_s": time.process_time() - cpu0})
    time.sleep(0.5)
    for c in clients:
        c.loop_stop()
        c.disconnect()


def count_devices(db_url: str) -> int:
    from hub.store.tables import devices
    return count_like(db_url, devices.c.id, PREFIX)


def _result(q, pub, tag: str) -> dict:
    """The publisher's result; fails at once, not after a long timeout, if it died."""
    while True:
        try:
            return q.get(timeout=1.0)
        except queue.Empty:
            if not pub.is_alive():
                try:
                    return q.get(timeout=2.0)  # put just before it exited
                except queue.Empty:
                    raise RuntimeError(f"{tag}: publisher died (exit code {pub.exitcode})") from None


def _wait(event, pub, tag: str, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not event.wait(1.0):
        if not pub.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{tag}: publisher {what} (exit code {pub.exitcode})")


def run_mix(rig: HubRig, payloads: dict[str, list], connections: int, tag: str, backlog: bool = False,
            settle_s: float = 0.0) -> dict:
    """One mix: send, wait for every receipt, measure, check the database. ``backlog``: the hub is stopped
    (SIGSTOP) while everything is sent and the broker queues it for the hub's session; the clock starts when
    the hub resumes, so the hub, not the load generator, sets the pace, with full batches."""
    total = sum(len(rows) for rows in payloads.values())
    hub_pid, broker_pid = rig.pids[0], int(rig.broker.pid_file.read_text())
    rss_idle, before, stored_before = rss_mb(hub_pid), rig.health()["counters"], count_records(rig.db_url, PREFIX)
    q, ready, go = mp.Queue(), mp.Event(), mp.Event()
    sent, resumed = (mp.Event(), mp.Event()) if backlog else (None, None)
    pub = mp.Process(target=mix_publisher, args=(rig.broker.host, rig.broker.port, deal(payloads, connections), tag,
                                                 q, ready, go, sent, resumed))
    pub.start()
    _wait(ready, pub, tag, "did not get ready")
    if backlog:
        os.kill(hub_pid, signal.SIGSTOP)
        try:
            go.set()
            _wait(sent, pub, tag, "did not get its messages to the broker")
            time.sleep(0.5)
            split, t0 = CpuSplit(broker=broker_pid, hub=hub_pid), time.time()
            hub_sys0 = kernel_seconds(hub_pid)
        finally:
            os.kill(hub_pid, signal.SIGCONT)
        resumed.set()
    else:
        go.set()
        split = CpuSplit(broker=broker_pid, hub=hub_pid)
        hub_sys0 = kernel_seconds(hub_pid)
    r = _result(q, pub, tag)
    cpu = split.stop(publisher=r["cpu_s"], hub_kernel=kernel_seconds(hub_pid) - hub_sys0)
    rss_after = rss_mb(hub_pid)
    after = rig.health()["counters"]
    pub.join(30)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    stored = count_records(rig.db_url, PREFIX) - stored_before
    if r["count"] != total or stored != total:
        raise SystemExit(f"{tag}: sent {total}, receipted {r['count']}, stored {stored}")
    seconds = r["t_end"] - (t0 if backlog else r["t0"])
    out = {
        "mix": tag, "mode": "backlog" if backlog else "live", "devices": len(payloads), "messages": total,
        "seconds": round(seconds, 3), "msgs_per_s": round(total / seconds), "cpu_s": cpu,
        "us_per_msg": {k: round(v * 1e6 / total, 1) for k, v in cpu.items() if k != "machine"},
        "machine_busy_cores": round(cpu["machine"] / seconds, 2),
        "receipts_published": delta.get("receipts_sent", 0), "receipts_received": r["receipts"],
        "receipts_per_msg": round(delta.get("receipts_sent", 0) / total, 3),
        "batches": delta.get("batches", 0), "msgs_per_batch": round(total / max(1, delta.get("batches", 0)), 1),
        "writer_us_per_msg": {s: round(delta.get(f"{s}_us", 0) / total, 1) for s in ("store", "receipt", "ack")},
        "rate_limited": delta.get("rate_limited", 0), "device_rows": count_devices(rig.db_url),
        "hub_rss_mb": {"idle": round(rss_idle, 1), "after": round(rss_after, 1),
                       "peak": round(peak_rss_mb(hub_pid), 1)},
    }
    if settle_s:
        time.sleep(settle_s)  # past the hub's periodic malloc_trim (hub/process/malloc_tuning.py): what stays held
        out["hub_rss_mb"]["settled"] = round(rss_mb(hub_pid), 1)
    return out


def profile_round(args, payloads: dict[str, list], tag: str) -> str:
    """One round with py-spy attached to the rig's hub (as benchmarks/profile_ingest.py does); its summary."""
    from benchmarks.profile_ingest import summarise

    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with HubRig(args.db, workers=1) as rig:
        raw = rig.work / "profile.txt"
        # --gil: only the thread holding the GIL; one waiting for it would be sampled wherever it waits
        spy = subprocess.Popen([pyspy, "record", "--format", "raw", "--threads", "--nonblocking", "--gil",
                                "--rate", "250", "-o", str(raw), "--pid", str(rig.pids[0])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)  # attached before the load
            r = run_mix(rig, payloads, args.connections, tag, backlog=True)
        finally:
            spy.send_signal(2)  # SIGINT: py-spy writes the file
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
        head = f"{tag} under py-spy: {r['msgs_per_s']} msg/s, hub {r['us_per_msg']['hub']} us/msg"
        return "\n".join([head, stage_shares(raw, r["us_per_msg"]["hub"]), summarise(raw, 30)])


# Where a wide mix could differ from a firehose: the writer's stages and paho's per-message work on both threads.
STAGES = ("MqttBridge._writer_loop", "Client._thread_main", "Client._packet_read", "HubClient._handle_publish",
          "Client._handle_on_message", "MqttBridge._on_message", "decode_batch", "HubStore.store_batch",
          "BatchWriter._store_records", "BatchWriter._insert_records", "BatchWriter._update_devices",
          "BatchResult.device", "MqttBridge._publish_receipts", "DeviceOutcome.receipts", "encode",
          "HubClient.publish_all_qos0", "Client._packet_queue", "Client._packet_write", "MqttBridge._ack")


def stage_shares(raw_file: Path, hub_us_per_msg: float) -> str:
    """Share of the hub's samples whose stack holds each stage (inclusive), and that share of the hub's CPU per
    message (approximate: py-spy drops idle samples, but a thread waiting for the GIL can still be sampled)."""
    counts = dict.fromkeys(STAGES, 0)
    total = 0
    for row in raw_file.read_text().splitlines():
        stack, _, n = row.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        names = {f.split(" (")[0] for f in stack.split(";")}
        for stage in STAGES:
            if stage in names:
                counts[stage] += int(n)
    out = [f"{'incl %':>7} {'~us/msg':>8}  stage"]
    out += [f"{100 * c / max(1, total):7.1f} {hub_us_per_msg * c / max(1, total):8.1f}  {stage}"
            for stage, c in counts.items()]
    return "\n".join(out)


def line(r: dict) -> str:
    u, w = r["us_per_msg"], r["writer_us_per_msg"]
    return (f"{r['mix']:<9}{r['devices']:>7} dev {r['msgs_per_s']:>7} msg/s  us/msg hub {u['hub']:5.1f} "
            f"broker {u['broker']:5.1f} pg {u['postgres']:5.1f} pub {u['publisher']:5.1f}  receipts/msg "
            f"{r['receipts_per_msg']:.3f}  msg/batch {r['msgs_per_batch']:5.1f}  writer store/receipt/ack "
            f"{w['store']:.1f}/{w['receipt']:.1f}/{w['ack']:.1f}  rss {r['hub_rss_mb']['after']:.1f} MB")


def med(rounds: list[dict], *path: str) -> float:
    values = []
    for r in rounds:
        v = r
        for p in path:
            v = v[p]
        values.append(v)
    return statistics.median(values)


MODES = ("live", "backlog")
ROWS = (("receipted msg/s (median)", ("msgs_per_s",), "{:.0f}"),
        ("hub CPU us/msg", ("us_per_msg", "hub"), "{:.1f}"),
        ("  of it in the kernel (sys)", ("us_per_msg", "hub_kernel"), "{:.1f}"),
        ("broker CPU us/msg", ("us_per_msg", "broker"), "{:.1f}"),
        ("PostgreSQL CPU us/msg (all users)", ("us_per_msg", "postgres"), "{:.1f}"),
        ("publisher CPU us/msg", ("us_per_msg", "publisher"), "{:.1f}"),
        ("receipts published per msg", ("receipts_per_msg",), "{:.3f}"),
        ("msgs per batch", ("msgs_per_batch",), "{:.1f}"),
        ("writer store us/msg (wall)", ("writer_us_per_msg", "store"), "{:.1f}"),
        ("writer receipt us/msg (wall)", ("writer_us_per_msg", "receipt"), "{:.1f}"),
        ("writer ack us/msg (wall)", ("writer_us_per_msg", "ack"), "{:.1f}"),
        ("hub RSS after round (MB)", ("hub_rss_mb", "after"), "{:.1f}"))


def print_summary(args, shapes: dict[str, str], rounds: dict[str, dict[str, list[dict]]]) -> dict:
    """Medians per mode and mix, the table, and the wide/firehose hub CPU ratio of each rig's pair."""
    summary: dict = {mode: {mix: {".".join(path): med(rs, *path) for _, path, _ in ROWS}
                            for mix, rs in by_mix.items()} for mode, by_mix in rounds.items()}
    print(f"\n{'median of ' + str(args.rounds) + ' rounds, ' + args.db:<38}"
          + "".join(f"{mix[:4] + ' ' + mode:>13}" for mode in MODES for mix in ("firehose", "wide"))
          + f"{'w/f live':>10}{'w/f backlog':>12}")
    print(f"{'devices x msgs each':<38}" + f"{shapes['firehose']:>13}{shapes['wide']:>13}" * 2)
    for label, path, fmt in ROWS:
        key = ".".join(path)
        cells = [summary[mode][mix][key] for mode in MODES for mix in ("firehose", "wide")]
        ratios = [w / f if f else float("nan") for f, w in (cells[0:2], cells[2:4])]
        print(f"{label:<38}" + "".join(f"{fmt.format(c):>13}" for c in cells)
              + f"{ratios[0]:>10.2f}{ratios[1]:>12.2f}")
    # Paired by rig (same machine moment): steadier than the ratio of medians when the machine is noisy.
    for mode in MODES:
        pairs = [wide["us_per_msg"]["hub"] / fire["us_per_msg"]["hub"]
                 for fire, wide in zip(rounds[mode]["firehose"], rounds[mode]["wide"], strict=False)]
        print(f"{'hub CPU wide/firehose, rounds, ' + mode:<38} {'  '.join(f'{x:.2f}' for x in pairs)}")
        summary[mode]["hub_cpu_wide_over_firehose_rounds"] = [round(x, 3) for x in pairs]
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--firehose-devices", type=int, default=20)
    ap.add_argument("--wide-devices", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--rss-devices", type=int, default=100000, help="memory phase: distinct ids (0: skip the phase)")
    ap.add_argument("--settle", type=float, default=65.0, help="memory phase: seconds before the settled RSS")
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--profile", choices=["firehose", "wide"], nargs="*", default=[])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "city_mix.json"))
    args = ap.parse_args()

    mixes = {"firehose": device_ids("f", args.firehose_devices), "wide": device_ids("w", args.wide_devices)}
    per = {name: args.messages // len(ids) for name, ids in mixes.items()}
    if min(per.values()) < 1 or len({per[n] * len(mixes[n]) for n in mixes}) != 1:
        raise SystemExit("--messages must be a multiple of both device counts")
    rounds: dict[str, dict[str, list[dict]]] = {mode: {name: [] for name in mixes} for mode in MODES}
    for rnd in range(args.rounds):
        for name in (["firehose", "wide"] if rnd % 2 == 0 else ["wide", "firehose"]):  # alternate who goes first
            with HubRig(args.db, workers=1) as rig:  # one fresh rig per mix and round: live, then backlog
                for k, mode in enumerate(MODES):
                    payloads = make_payloads(mixes[name], per[name], 2 * rnd + k)  # fresh ids, later seqs
                    rounds[mode][name].append(run_mix(rig, payloads, args.connections, name, mode == "backlog"))
                    print(f"round {rnd} {mode:<7}: {line(rounds[mode][name][-1])}", flush=True)

    memory = {}
    if args.rss_devices:
        for name, ids in (("firehose", device_ids("f", args.firehose_devices)),
                          ("city", device_ids("c", args.rss_devices))):
            payloads = make_payloads(ids, args.rss_devices // len(ids), 0)
            with HubRig(args.db, workers=1) as rig:
                memory[name] = run_mix(rig, payloads, args.connections, f"rss-{name}", settle_s=args.settle)
            m = memory[name]["hub_rss_mb"]
            print(f"memory {name}: {memory[name]['devices']} devices x {args.rss_devices // len(ids)} msgs, "
                  f"{memory[name]['msgs_per_s']} msg/s, {memory[name]['device_rows']} device rows: hub RSS idle "
                  f"{m['idle']} -> after {m['after']} (peak {m['peak']}) -> settled {m['settled']} MB", flush=True)

    profiles = {}
    for name in args.profile:
        profiles[name] = profile_round(args, make_payloads(mixes[name], per[name], args.rounds), name)
        print(profiles[name], flush=True)

    shapes = {name: f"{len(ids)}x{per[name]}" for name, ids in mixes.items()}
    summary = print_summary(args, shapes, rounds) if args.rounds else {}
    if memory:
        print(f"\n{'memory phase (' + str(args.rss_devices) + ' msgs)':<42}{'20 devices':>12}{'city ids':>12}")
        for k in ("idle", "after", "peak", "settled"):
            print(f"{'hub RSS ' + k + ' (MB)':<42}{memory['firehose']['hub_rss_mb'][k]:>12.1f}"
                  f"{memory['city']['hub_rss_mb'][k]:>12.1f}")
        print(f"{'device rows':<42}{memory['firehose']['device_rows']:>12}{memory['city']['device_rows']:>12}")
    result = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(), "loadavg_end": os.getloadavg()},
              "args": vars(args), "summary": summary, "rounds": rounds, "memory": memory, "profiles": profiles}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
