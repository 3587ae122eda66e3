"""Shared pieces of the benchmark suite: a fresh broker + database + hub worker processes, process metrics from
/proc, and a crowd of plain MQTT devices driven by one thread per process (thousands of connections without a
thread each).
"""
from __future__ import annotations

import json
import os
import random
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

import protocol
from hub.mqtt.embedded_broker import ManagedBroker, free_port

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# -- process metrics --------------------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def kernel_seconds(pid: int) -> float:
    """The part of :func:`cpu_seconds` spent in the kernel (stime): system calls, futex waits for the GIL."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[12]) / CLK_TCK


class CpuMeter:
    """CPU used by a process between ``start`` and ``read``, as a percentage of one core."""

    def __init__(self, pid: int):
        self.pid = pid
        self.start()

    def start(self) -> None:
        self.t0, self.c0 = time.monotonic(), cpu_seconds(self.pid)

    def read(self) -> float:
        return 100 * (cpu_seconds(self.pid) - self.c0) / max(1e-6, time.monotonic() - self.t0)


# -- databases ----------------------------------------------------------------------------------------------------
def fresh_db(kind: str, work: Path) -> tuple[str, callable]:
    """('sqlite' | 'postgresql') → (url, drop)."""
    if kind == "sqlite":
        return f"sqlite:///{work / 'hub.db'}", lambda: None
    import sqlalchemy as sa

    name = f"gridline_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def count_records(db_url: str, device_prefix: str) -> int:
    from hub.store.tables import records
    return count_like(db_url, records.c.device_id, device_prefix)


def count_like(db_url: str, column, prefix: str) -> int:
    """Rows of ``column``'s table whose ``column`` starts with ``prefix``."""
    import sqlalchemy as sa

    from hub.store.engine import create_hub_engine
    engine = create_hub_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(column.table)
                                .where(column.like(f"{prefix}%"))).scalar_one()
    finally:
        engine.dispose()


# -- the system under test ------------------------------------------------------------------------------------
class HubRig:
    """A fresh Mosquitto, a fresh database and ``workers`` real `gridline hub serve` processes
    (a ``$share`` group when more than one)."""

    def __init__(self, db: str = "sqlite", workers: int = 1, sample_community: bool = False, env: dict | None = None):
        self.db_kind, self.workers, self.sample_community = db, workers, sample_community
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.work = Path(tempfile.mkdtemp(prefix="gridline-bench-"))
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def __enter__(self) -> HubRig:
        try:
            return self._start()
        except BaseException:
            self.__exit__()  # a hub that never came up must not leave its broker, database and processes behind
            raise

    def _start(self) -> HubRig:
        self.broker = ManagedBroker(self.work / "broker", engine="mosquitto").start()
        self.db_url, self._drop = fresh_db(self.db_kind, self.work)
        gridline = [sys.executable, "-m", "gridline"]
        if self.sample_community:
            subprocess.run([*gridline, "hub", "community", "load-sample", "--db", self.db_url], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        else:
            subprocess.run([*gridline, "hub", "migrate", "--db", self.db_url], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        for i in range(self.workers):
            port = free_port()
            extra = ["--share-group", "bench"] if self.workers > 1 else []
            log = open(self.work / f"hub-{i}.log", "ab")
            self.procs.append(subprocess.Popen(
                [*gridline, "hub", "serve", "--broker", self.broker.url, "--db", self.db_url, "--http",
                 f"127.0.0.1:{port}", "--data-dir", str(self.work / "hub"), "--client-id", f"bench-hub-{i}", *extra],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env))
            log.close()
            self.ports.append(port)
        for port in self.ports:
            wait_http(port)
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if getattr(self, "broker", None) is not None:
            self.broker.stop()
        if getattr(self, "_drop", None) is not None:
            self._drop()
        if not os.environ.get("GRIDLINE_BENCH_KEEP"):
            import shutil
            shutil.rmtree(self.work, ignore_errors=True)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def health(self, i: int = 0) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[i]}/api/health", timeout=5) as resp:
            return json.loads(resp.read())


def wait_http(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"hub on port {port} did not come up")


# -- many devices, one thread --------------------------------------------------------------------------------------
def crowd(host: str, port: int, ids: list[str], period_s, stop, ready, published, acked,
          active: int | None = None, seed: int = 1) -> None:
    """One process: a paho client per device id, all driven from this thread through ``selectors`` (paho's
    external-loop API). Each announces itself online (retained status, as terminals do); the first ``active``
    ids (default all) publish a PositionFix QoS 1 every ``period_s.value`` seconds on average (random phase).
    ``published`` / ``acked`` are shared counters (QoS 1 PUBACKs from the broker)."""
    rng = random.Random(seed)
    sel = selectors.DefaultSelector()
    clients: dict[str, mqtt.Client] = {}
    local_acked = [0]
    presence_mids: set[tuple[str, int]] = set()  # PUBACKs of status messages are not records

    def on_publish(client, userdata, mid, reason_code, properties):
        if (userdata, mid) in presence_mids:
            presence_mids.discard((userdata, mid))
        else:
            local_acked[0] += 1

    for dev in ids:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=dev, protocol=mqtt.MQTTv5, userdata=dev)
        c.max_queued_messages_set(0)
        c.on_publish = on_publish
        c.connect(host, port, keepalive=120, clean_start=True)
        clients[dev] = c
        sel.register(c.socket(), selectors.EVENT_READ, c)
        info = c.publish(protocol.topics.device_status(dev), protocol.encode(protocol.DeviceStatus(
            device_id=dev, state="online", at=datetime.now(UTC))), qos=1, retain=True)
        presence_mids.add((dev, info.mid))
    movers = ids if active is None else ids[:active]
    seqs = dict.fromkeys(movers, 0)
    period = period_s.value
    due = {dev: time.monotonic() + rng.uniform(0, period) for dev in movers}
    last_misc = 0.0
    ready.set()
    sent = 0
    while not stop.is_set():
        now = time.monotonic()
        if period_s.value != period:  # load changed: re-phase, so a rise shows at once
            period = period_s.value
            due = {dev: min(due[dev], now + rng.uniform(0, period)) for dev in movers}
        for dev in movers:
            if due[dev] > now:
                continue
            seqs[dev] += 1
            fix = protocol.PositionFix(
                id=protocol.uuid7(), device_id=dev, seq=seqs[dev], created_at=datetime.now(UTC),
                position=protocol.Position(lat=22.245 + rng.random() * 0.01, lon=113.52 + rng.random() * 0.015,
                                           accuracy_m=8.0), speed_mps=1.1)
            clients[dev].publish(protocol.topics.uplink(dev, protocol.UplinkKind.POSITION), protocol.encode(fix),
                                 qos=1)
            due[dev] = now + period_s.value * rng.uniform(0.5, 1.5)
            sent += 1
        for c in clients.values():
            if c.want_write():
                c.loop_write()
        for key, _ in sel.select(timeout=0.02):
            key.data.loop_read()
        if now - last_misc > 1.0:
            for c in clients.values():
                c.loop_misc()  # keep-alive pings
            last_misc = now
        with published.get_lock():
            published.value += sent
        with acked.get_lock():
            acked.value += local_acked[0]
        sent, local_acked[0] = 0, 0
    # flush acks still in flight
    end = time.monotonic() + 10
    while time.monotonic() < end and any(c.want_write() for c in clients.values()):
        for c in clients.values():
            if c.want_write():
                c.loop_write()
        for key, _ in sel.select(timeout=0.05):
            key.data.loop_read()
    for key, _ in sel.select(timeout=0.5):
        key.data.loop_read()
    with acked.get_lock():
        acked.value += local_acked[0]
    for c in clients.values():
        c.disconnect()


def start_crowd(host: str, port: int, ids: list[str], period_s: float, procs: int, active: int | None = None):
    """Start ``procs`` crowd processes; returns (processes, stop, period, published, acked)."""
    import multiprocessing as mp
    stop, period = mp.Event(), mp.Value("d", period_s)
    published, acked = mp.Value("q", 0), mp.Value("q", 0)
    per = -(-len(ids) // procs)
    out, readies = [], []
    remaining_active = len(ids) if active is None else active
    for k in range(0, len(ids), per):
        part = ids[k:k + per]
        take = min(len(part), remaining_active)
        remaining_active -= take
        ready = mp.Event()
        p = mp.Process(target=crowd, args=(host, port, part, period, stop, ready, published, acked, take, k + 1),
                       daemon=True)
        p.start()
        out.append(p)
        readies.append(ready)
    for r in readies:
        if not r.wait(180):
            raise RuntimeError("crowd did not connect")
    return out, stop, period, published, acked


# -- report → task probes ------------------------------------------------------------------------------------------
class TaskProbe:
    """Five kiosks report (real terminal ``Device``) and five grid leaders' phones wait for the task; the sample
    community 福石社区 must be loaded. ``fire()`` sends one report; ``latencies(since)`` reads arrivals."""

    def __init__(self, broker_url: str, work: Path):
        import threading

        from benchmarks.report_to_task_latency import _enabled_categories, lattice
        from hub import sample
        from protocol import TaskBody
        from terminal.device import Device

        self.grids = sample.grids()
        self.points = {g.code: lattice(g) for g in self.grids}
        kiosks = {d.grid: d for d in sample.devices() if d.kind == "kiosk"}
        leads = {d.grid: d for d in sample.devices() if d.kind == "phone" and "lead" in d.id}
        self.arrived: dict[str, float] = {}
        self.sent: dict[str, float] = {}
        self._lock = threading.Lock()

        def on_task(message) -> None:
            if message.kind != "task":
                return
            body = TaskBody.model_validate(message.body)
            if body.role.value == "handler" and body.note.startswith("probe-"):
                with self._lock:
                    self.arrived.setdefault(body.note, time.time())

        self.phones = [Device(leads[g.code].id, work / "dev" / leads[g.code].id, broker_url, on_downlink=on_task)
                       .start() for g in self.grids]
        self.kiosks = [Device(kiosks[g.code].id, work / "dev" / kiosks[g.code].id, broker_url).start()
                       for g in self.grids]
        for d in self.kiosks + self.phones:
            d.wait_connected(30)
        self.categories = [c for c in _enabled_categories() if not c.startswith("W")]
        self.n = 0

    def fire(self) -> str:
        i, self.n = self.n, self.n + 1
        gi = i % len(self.grids)
        pts = self.points[self.grids[gi].code]
        lat, lon = pts[i // len(self.grids) % len(pts)]
        token = f"probe-{i:05d}"
        self.sent[token] = time.time()
        self.kiosks[gi].report(self.categories[i % len(self.categories)], lat, lon, accuracy_m=5.0, note=token)
        return token

    def wait(self, tokens: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(t not in self.arrived for t in tokens):
            time.sleep(0.1)

    def summary(self, tokens: list[str]) -> dict:
        lat = sorted((self.arrived[t] - self.sent[t]) * 1000 for t in tokens if t in self.arrived)
        return {"reports": len(tokens), "missing": len(tokens) - len(lat), "p50_ms": pct(lat, 50),
                "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99), "max_ms": round(lat[-1], 1) if lat else None}

    def stop(self) -> None:
        for d in self.kiosks + self.phones:
            d.stop()


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return round(values[k], 1)
