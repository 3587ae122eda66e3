"""Fuzzed MQTT traffic through the real broker and the hub's bridge, with good traffic interleaved.

    python -m tests.faults.fuzz --count 10000 [--seed S] [--db sqlite|postgresql://...]   (from the repo root)

Every fuzzed message has an expected outcome, and the run checks each class exactly:

- dead (one dead letter with a non-empty reason each): random bytes, truncated JSON, wrong types, huge strings,
  wrong schema versions, not-an-object JSON, a kind that contradicts the topic, spoofed device ids (topic says
  one device, payload another), bad topics, confirmations of downlinks that do not exist;
- stored, then dead: case actions on unknown cases (from a grid leader's phone) and actions from devices with
  no owner - valid records, receipted, then refused by the action applier with a reason;
- harmless replays (no dead letter, no new record): uplinks and confirmations captured from the good devices
  and published again; receipts captured from the hub and published to the devices again.

Good devices (real terminals) produce throughout; at the end everything they created is stored and receipted.
The hub must survive it all: its bridge still running with an empty queue.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt  # test code speaks raw MQTT to send what no terminal would

from gridline.audit import audit
from protocol import (
    CaseAction,
    CaseActionKind,
    DownlinkConfirm,
    Heartbeat,
    IncidentReport,
    PhotoChunk,
    Position,
    PositionFix,
    ResidentCheckin,
    encode,
    topics,
    uuid7,
)
from terminal.device import Device
from tests.isolation import free_port

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
OWNED_PHONE = "phone-fs-lead-01"  # bound to a person in the sample community: its actions reach the case check
KINDS = ["report", "checkin", "position", "photo", "heartbeat", "confirm", "action"]
# shape -> weight; replays need captured traffic and fall back to random bytes until there is some
SHAPES = {
    "random_bytes": 12, "truncated_json": 12, "wrong_type": 14, "huge_string": 3, "wrong_version": 8,
    "not_object": 5, "kind_mismatch": 5, "spoofed_device": 8, "bad_topic": 5, "unknown_confirm": 5,
    "action_unknown_case": 4, "action_no_owner": 4, "replay_uplink": 8, "replay_receipt": 4,
}
STORED_THEN_DEAD = {"action_unknown_case", "action_no_owner"}
HARMLESS = {"replay_uplink", "replay_receipt"}
BAD_VERSIONS = [0, 2, 99, -1, "1", "v1", None, 1.5, [], {}]


class Builder:
    """Valid messages for a device id, with fresh ids and increasing seqs."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seqs: Counter[str] = Counter()

    def _record(self, device_id: str) -> dict:
        self.seqs[device_id] += 1
        return {"id": uuid7(), "device_id": device_id, "seq": self.seqs[device_id], "created_at": NOW}

    def message(self, kind: str, device_id: str):
        pos = Position(lat=22.25 + self.rng.random() / 100, lon=113.53, accuracy_m=5)
        if kind == "report":
            return IncidentReport(**self._record(device_id), category="E0101", note="fuzz", position=pos)
        if kind == "position":
            return PositionFix(**self._record(device_id), position=pos)
        if kind == "checkin":
            return ResidentCheckin(**self._record(device_id), checkin_kind="wellbeing", resident_key="a" * 64)
        if kind == "photo":
            return PhotoChunk(device_id=device_id, sha256="b" * 64, index=0, count=1, total_size=3, data=b"abc")
        if kind == "heartbeat":
            return Heartbeat(device_id=device_id, sent_at=NOW, outbox_depth=0, app_version="fuzz/1")
        if kind == "confirm":
            return DownlinkConfirm(device_id=device_id, message_id=uuid7(), at=NOW)
        return self.action(device_id)

    def action(self, device_id: str) -> CaseAction:
        return CaseAction(**self._record(device_id), case_id=uuid7(), action=CaseActionKind.ACCEPT)


@dataclass
class Fuzzed:
    shape: str
    topic: str
    payload: bytes


class Generator:
    def __init__(self, rng: random.Random, captured: Capture):
        self.rng, self.captured = rng, captured
        self.build = Builder(rng)
        self.pool = [f"fuzz-{i:03d}" for i in range(200)]  # senders of the garbage
        self.unowned = [f"fuzz-noowner-{i:02d}" for i in range(20)]

    def next(self) -> Fuzzed:
        rng = self.rng
        shape = rng.choices(list(SHAPES), weights=list(SHAPES.values()))[0]
        if shape == "replay_uplink" and not self.captured.uplinks or \
                shape == "replay_receipt" and not self.captured.receipts:
            shape = "random_bytes"
        device, kind = rng.choice(self.pool), rng.choice(KINDS)
        topic = topics.uplink(device, kind)
        if shape == "random_bytes":
            return Fuzzed(shape, topic, rng.randbytes(rng.randint(0, 400)))
        if shape == "replay_uplink":
            t, p = rng.choice(self.captured.uplinks)
            return Fuzzed(shape, t, p)
        if shape == "replay_receipt":
            t, p = rng.choice(self.captured.receipts)
            return Fuzzed(shape, t, p)
        if shape == "action_unknown_case":
            return Fuzzed(shape, topics.uplink(OWNED_PHONE, "action"), encode(self.build.action(OWNED_PHONE)))
        if shape == "action_no_owner":
            sender = rng.choice(self.unowned)
            return Fuzzed(shape, topics.uplink(sender, "action"), encode(self.build.action(sender)))
        if shape == "unknown_confirm":
            return Fuzzed(shape, topics.uplink(device, "confirm"), encode(self.build.message("confirm", device)))
        if shape == "bad_topic":
            bad = rng.choice([f"{topics.ROOT}/dev/{device}/up/zz{rng.randint(0, 99)}",
                              f"{topics.ROOT}/dev/BAD!{rng.randint(0, 99)}/up/{kind}",
                              f"{topics.ROOT}/dev/x/up/{kind}"])
            return Fuzzed(shape, bad, encode(self.build.message(kind, device)))
        if shape == "spoofed_device":
            other = rng.choice([d for d in self.pool if d != device] + [OWNED_PHONE])
            return Fuzzed(shape, topic, encode(self.build.message(kind, other)))
        good = encode(self.build.message(kind, device))
        if shape == "truncated_json":
            return Fuzzed(shape, topic, good[:rng.randrange(len(good))])
        data = json.loads(good)
        if shape == "wrong_type":
            key = rng.choice(sorted(data))
            value = data[key]
            data[key] = ("x" if rng.random() < 0.5 else 7) if isinstance(value, (dict, list)) else \
                rng.choice([{"fuzz": [rng.random()]}, [[rng.randint(0, 9)]]])
        elif shape == "huge_string":
            key = rng.choice([k for k, v in data.items() if isinstance(v, str) and k not in ("v", "kind")])
            data[key] = "字" * rng.randint(2_000, 60_000)
        elif shape == "wrong_version":
            data["v"] = rng.choice(BAD_VERSIONS)
        elif shape == "not_object":
            return Fuzzed(shape, topic, json.dumps(rng.choice([[data], list(data), "report", 1, None])).encode())
        elif shape == "kind_mismatch":
            data["kind"] = rng.choice([k for k in KINDS if k != kind] + ["zz"])
        return Fuzzed(shape, topic, json.dumps(data, ensure_ascii=False).encode())


class Capture:
    """Records what the good devices send and receive, for replays (a bounded sample)."""

    def __init__(self, good_ids: list[str], limit: int = 300):
        self.good_ids, self.limit = good_ids, limit
        self.uplinks: list[tuple[str, bytes]] = []
        self.receipts: list[tuple[str, bytes]] = []

    def on_message(self, client, userdata, message) -> None:
        box = self.receipts if message.topic.endswith("/receipt") else self.uplinks
        if len(box) < self.limit:
            box.append((message.topic, bytes(message.payload)))


@dataclass
class FuzzReport:
    sent: int = 0
    by_shape: Counter = field(default_factory=Counter)
    expected_dead: int = 0
    dead: int = 0
    reasons: Counter = field(default_factory=Counter)
    empty_reasons: int = 0
    records_expected: int = 0
    records_added: int = 0
    good_created: int = 0
    good_stored: int = 0
    good_acked: int = 0
    good_lost: int = 0
    good_duplicates: int = 0
    bridge_alive: bool = False
    queue_depth: int = -1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.dead == self.expected_dead and self.empty_reasons == 0 and self.bridge_alive
                and self.queue_depth == 0 and self.records_added == self.records_expected
                and self.good_created > 0 and self.good_lost == 0 and self.good_duplicates == 0
                and self.good_acked == self.good_created == self.good_stored)

    def lines(self) -> list[str]:
        return [
            f"fuzz: sent={self.sent} expected_dead={self.expected_dead} dead_lettered={self.dead} "
            f"empty_reasons={self.empty_reasons} records_added={self.records_added}/{self.records_expected} "
            f"bridge_alive={self.bridge_alive} queue_depth={self.queue_depth} in {self.seconds:.0f}s",
            "  by shape: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_shape.items())),
            "  dead-letter reasons: " + ", ".join(f"{k} {v}" for k, v in self.reasons.most_common()),
            f"  good traffic: created={self.good_created} stored={self.good_stored} acknowledged={self.good_acked} "
            f"lost={self.good_lost} duplicates={self.good_duplicates}",
        ]


def _dead_letter_stats(store, since_id: int) -> tuple[int, Counter, int]:
    import sqlalchemy as sa

    from hub.store.tables import dead_letters

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(dead_letters.c.reason).where(dead_letters.c.id > since_id)).all()
    reasons = Counter(r for (r,) in rows)
    return len(rows), reasons, sum(n for r, n in reasons.items() if not (r or "").strip())


def _max_dead_id(store) -> int:
    import sqlalchemy as sa

    from hub.store.tables import dead_letters

    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(dead_letters.c.id), 0))).scalar_one()


def run_fuzz(runner, work: Path, count: int, seed: int = 0, *, good_every: int = 20,
             settle_timeout: float = 180.0) -> FuzzReport:
    """Fuzz the hub of ``runner`` (a started HubRunner with the sample community loaded) with ``count``
    messages, interleaved with good traffic from three real terminals under ``work``."""
    started = time.monotonic()
    rng = random.Random(seed)
    store, report = runner.store, FuzzReport()
    address = runner.broker_url.rsplit("//", 1)[1]
    host, port = address.rsplit(":", 1)
    good_ids = [f"fuzz-good-{i:03d}" for i in range(3)]
    capture = Capture(good_ids)
    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fuzz-spy-{seed}", protocol=mqtt.MQTTv5)
    spy.on_message = capture.on_message
    spy.connect(host, int(port))
    spy.subscribe([(f"{topics.ROOT}/dev/{d}/{leaf}", 0) for d in good_ids for leaf in ("up/#", "receipt")])
    spy.loop_start()
    fuzzer = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fuzz-{seed}", protocol=mqtt.MQTTv5)
    fuzzer.max_inflight_messages_set(200)
    fuzzer.max_queued_messages_set(0)
    fuzzer.connect(host, int(port))
    fuzzer.loop_start()
    devices = [Device(d, work / d, runner.broker_url, ack_timeout=10).start() for d in good_ids]
    dead_since, records_before = _max_dead_id(store), store.count_records()
    try:
        for d in devices:  # a downlink each, so the devices send real confirmations to capture and replay
            store.queue_downlink(d.device_id, "notice", {"title": "fuzz", "text": "", "published_at": NOW.isoformat()})
        generator = Generator(rng, capture)
        last = None
        for i in range(count):
            if i % good_every == 0:
                d = devices[(i // good_every) % len(devices)]
                if rng.random() < 0.1:
                    d.report("E0101", 22.25, 113.53, note="好的上报 / good report")
                else:
                    d.position(22.25 + rng.random() / 1000, 113.53, accuracy_m=5)
            item = generator.next()
            last = fuzzer.publish(item.topic, item.payload, qos=1)
            report.sent += 1
            report.by_shape[item.shape] += 1
            if item.shape in STORED_THEN_DEAD:
                report.records_expected += 1
            if item.shape not in HARMLESS:
                report.expected_dead += 1
            if i % 200 == 199:
                last.wait_for_publish(30)  # keep the client's queue short
        if last is not None:
            last.wait_for_publish(60)
        for d in devices:
            d.wait_drained(60)
        deadline = time.monotonic() + settle_timeout
        while time.monotonic() < deadline and _dead_letter_stats(store, dead_since)[0] < report.expected_dead:
            time.sleep(0.5)
        time.sleep(2.0)  # anything beyond the expected would show up now
    finally:
        fuzzer.loop_stop()
        fuzzer.disconnect()
        spy.loop_stop()
        spy.disconnect()
        for d in devices:
            d.stop()
    report.dead, report.reasons, report.empty_reasons = _dead_letter_stats(store, dead_since)
    totals = audit({d: work / d for d in good_ids}, store)
    report.good_created, report.good_stored, report.good_acked = totals.created, totals.stored, totals.acknowledged
    report.good_lost, report.good_duplicates = totals.lost, totals.duplicates
    report.records_expected += totals.created
    report.records_added = store.count_records() - records_before
    bridge = runner.bridge
    report.bridge_alive = all(t.is_alive() for t in getattr(bridge, "_threads", [])) and bridge.connected.is_set()
    report.queue_depth = bridge.queue_depth
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--db", default="sqlite", help="sqlite (default) or the URL of a fresh PostgreSQL database")
    args = p.parse_args(argv)

    from hub import sample
    from hub.mqtt.embedded_broker import ManagedBroker
    from hub.org.geojson_io import load_community
    from hub.process.runner import HubRunner
    from hub.settings import HubSettings

    work = Path(tempfile.mkdtemp(prefix="gridline-fuzz-"))
    broker = ManagedBroker(work / "broker", port=free_port(), engine="mosquitto").start()
    settings = {"broker_url": broker.url, "data_dir": work / "hub", "http_port": 0,
                "client_id": f"fuzz-hub-{args.seed}"}
    if args.db != "sqlite":
        settings["db_url"] = args.db
    runner = HubRunner(HubSettings(**settings)).start()
    try:
        load_community(runner.store, sample.load_raw())
        report = run_fuzz(runner, work / "devices", args.count, args.seed)
    finally:
        runner.stop()
        broker.stop()
    print("\n".join(report.lines()))
    print("fuzz: OK" if report.ok else "fuzz: FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
