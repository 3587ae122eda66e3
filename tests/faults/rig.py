"""One randomised fault run: a fresh hub (child process) on a fresh Mosquitto with the sample community 福石社区,
producing kiosks/tablets (one child process, so it can be killed mid-write), phones whose simulated grid leaders
take the tasks the hub dispatches, and ONE fault at a random moment while records flow. After recovery:

- every record created on a device is stored at the hub exactly once (lost = duplicated = 0);
- no record a device holds as acknowledged is missing at the hub;
- every task message the hub dispatched is confirmed (delivered) by its device.

Used by ``run_many.py`` (hundreds of runs), ``soak.py`` and tests/e2e/test_fault_runs.py (a short set).
"""
from __future__ import annotations

import errno
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from gridline.audit import audit
from hub.mqtt.embedded_broker import ManagedBroker
from hub.store import HubStore
from hub.store.tables import action_outcomes, case_events, dispatch_marks, downlinks, records
from terminal.device import Device
from terminal.fieldwork import FieldWorker
from terminal.simulate import SIMULATOR_KEY
from tests.e2e.netcut import CuttableLink
from tests.e2e.processes import HubProcess
from tests.isolation import free_port, postgres_restart

ROOT = Path(__file__).resolve().parents[2]  # the repo root: child processes run from it (python -m tests.faults...)

PRODUCERS = ("kiosk-fs-01", "kiosk-fs-02", "tablet-fs-01")  # grids 01 and 02; the kiosks also receive tasks
PHONES = ("phone-fs-lead-01", "phone-fs-lead-02")  # the two grid leaders: handlers of those grids' cases
RUN_DEVICES = PRODUCERS + PHONES
SCENARIOS = ("hub_kill", "broker_restart", "link_cut", "device_kill", "disk_full", "pg_restart")
DEVICE_PROC = "tests.faults.device_proc"  # run as a module from ROOT
# Short timers for short runs: a task message the hub sent while a phone was away is re-sent after 2 s.
HUB_ENV = {"GRIDLINE_DOWNLINK_RESEND_S": "2", "GRIDLINE_MAINTENANCE_INTERVAL_S": "0.5"}
DEVICE_OPTIONS = {"ack_timeout": 5.0, "heartbeat_interval": 5.0}


def can_mount_tmpfs() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


def is_postgres(db: str) -> bool:
    return db.startswith("postgresql")


# -- databases: the sample community loaded once, copied per run ---------------------------------------------
class Template:
    """``db`` = "sqlite" or a PostgreSQL server URL (any database on it; used for CREATE DATABASE)."""

    def __init__(self, work: Path, db: str = "sqlite"):
        self.work, self.db = work, db
        work.mkdir(parents=True, exist_ok=True)
        if is_postgres(db):
            self.admin = sa.create_engine(_psycopg(db), isolation_level="AUTOCOMMIT")
            self.name = f"gl_fault_tpl_{uuid.uuid4().hex[:8]}"
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
            self._load(self._url(self.name))
        else:
            self.admin = None
            self.file = work / "template" / "hub.db"
            self._load(f"sqlite:///{self.file}")

    def _url(self, name: str) -> str:
        return _psycopg(self.db).rsplit("/", 1)[0] + f"/{name}"

    def _load(self, url: str) -> None:
        out = subprocess.run([sys.executable, "-m", "gridline", "hub", "community", "load-sample", "--db", url,
                              "--data-dir", str(self.work / "template")], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            raise RuntimeError(f"loading the sample community failed: {out.stderr[-2000:]}")

    def new_db(self, data_dir: Path) -> str:
        if self.admin is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.file, data_dir / "hub.db")
            return f"sqlite:///{data_dir / 'hub.db'}"
        name = f"gl_fault_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"'))
        return self._url(name)

    def drop_db(self, url: str) -> None:
        if self.admin is None:
            return
        name = url.rsplit("/", 1)[1]
        for _ in range(20):  # PostgreSQL may be restarting (pg_restart): try for a while
            try:
                with self.admin.connect() as conn:
                    conn.execute(sa.text(
                        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except sa.exc.OperationalError:
                time.sleep(0.5)

    def close(self) -> None:
        if self.admin is not None:
            self.drop_db(self._url(self.name))
            self.admin.dispose()


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


# -- processes ---------------------------------------------------------------------------------------------
class PortTaken(RuntimeError):
    pass


class FaultHub(HubProcess):
    """The hub as a child process with short timers; its log lives outside the data dir (which may fill up)."""

    def __init__(self, broker_url: str, data_dir: Path, db_url: str, log: Path):
        super().__init__(broker_url, data_dir, db_url)
        self.log = log
        # one MQTT client id for all its restarts, as a deployed hub has: a restart resumes the broker session
        # (and its queued uplinks); a new id would leave the old session queueing every uplink forever
        self.client_id = f"fault-hub-{uuid.uuid4().hex[:8]}"

    def start(self, timeout: float = 120.0) -> FaultHub:
        # Patience, as soak.py has: CI runs four fault runs beside four other test workers on two cores, and once a
        # restarted hub had not built its app 30 s after its first log line (nothing else was wrong with it).
        for _ in range(5):  # a free port can be taken by another process before the hub binds it: try another
            try:
                return self._start(timeout)
            except PortTaken:
                continue
        raise RuntimeError("no free port for the hub's API after 5 tries")

    def _start(self, timeout: float) -> FaultHub:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log_size = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gridline", "hub", "serve", "--broker", self.broker_url, "--db", self.db_url,
                 "--http", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
                 "--client-id", self.client_id],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, **HUB_ENV, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                this_start = self.log.read_bytes()[log_size:].decode(errors="replace")
                if "address already in use" in this_start:
                    raise PortTaken(self.port)
                raise RuntimeError(f"hub exited: {this_start[-2000:]}")
            try:
                answered = bool(self.get("/api/health").get("status"))
            except OSError:
                answered = False
            if answered:
                time.sleep(0.3)  # was it ours? a hub that lost the port to another process exits right away
                if self.proc.poll() is None:
                    return self
                continue
            time.sleep(0.05)
        self.proc.kill()  # not left running behind the caller's back
        self.proc.wait(10)
        raise RuntimeError("hub did not answer /api/health")


def start_producers(broker_url: str, devices: Path, seed: int, duration: float, rate: float,
                    log: Path, ids: str = ",".join(PRODUCERS)) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", DEVICE_PROC, "--broker", broker_url, "--data-dir", str(devices),
                                 "--ids", ids, "--rate", str(rate), "--for", f"{duration:.2f}",
                                 "--seed", str(seed)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def stop_process(proc: subprocess.Popen, timeout: float = 40.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def restart_postgres(timeout: float = 60.0) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    # tests on other xdist workers (or in another session) may be using it: wait until none is, and keep new
    # ones out until it is back (tests/isolation.py)
    with postgres_restart():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       capture_output=True, timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # make sure it is back before anyone else needs it
            if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
                return
            time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come back after the restart")


def disk_refused(hub_log: str) -> bool:
    """Did the hub's log record a write the full disk refused (SQLite's or the file system's words)?"""
    return "database or disk is full" in hub_log or "No space left" in hub_log


def fill_disk(directory: Path) -> Path:
    """Write a filler file until the filesystem refuses another byte; return it (delete it to recover)."""
    filler = directory / "filler.bin"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


# -- one run -----------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    scenario: str
    seed: int
    ok: bool = False
    created: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    acked_but_missing: int = 0
    tasks_dispatched: int = 0
    tasks_confirmed: int = 0
    tasks_elsewhere: int = 0  # task messages for devices outside this run (none expected)
    dead_letters: int = 0
    seconds: float = 0.0
    fault: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)


def hub_backlog(store: HubStore) -> int:
    """Work the hub has stored but not yet carried through: reports without a case, device actions without an
    outcome, case events not yet dispatched. Task messages still to come exist only while this is > 0."""
    taken_in = sa.select(case_events.c.id).where(case_events.c.client_event_id == sa.literal("report:") + records.c.id)
    with store.engine.connect() as conn:
        reports = conn.execute(sa.select(sa.func.count()).select_from(records)
                               .where(records.c.kind == "report", ~sa.exists(taken_in))).scalar_one()
        actions = conn.execute(sa.select(sa.func.count()).select_from(records).where(
            records.c.kind == "action",
            ~sa.exists(sa.select(action_outcomes.c.record_id).where(action_outcomes.c.record_id == records.c.id))
        )).scalar_one()
        events = conn.execute(sa.select(sa.func.count()).select_from(case_events).where(
            ~sa.exists(sa.select(dispatch_marks.c.event_id).where(dispatch_marks.c.event_id == case_events.c.id))
        )).scalar_one()
    return reports + actions + events


def task_counts(store: HubStore, devices=RUN_DEVICES) -> tuple[int, int, int]:
    """(task messages to this run's devices, of those confirmed delivered, task messages to other devices)."""
    query = sa.select(downlinks.c.device_id, downlinks.c.state).where(downlinks.c.kind == "task")
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    ours = [state for device, state in rows if device in devices]
    return len(ours), sum(state in ("delivered", "read") for state in ours), len(rows) - len(ours)


class FaultRun:
    """Set up, inject one fault, wait for recovery, check. ``run()`` never raises: failures are results."""

    def __init__(self, scenario: str, seed: int, work: Path, template: Template, *, produce_s: float = 3.0,
                 rate: float = 5.0, settle_timeout: float = 60.0, keep: bool = False):
        if scenario == "pg_restart" and not is_postgres(template.db):
            raise ValueError("pg_restart needs --db postgresql://...")
        self.scenario, self.seed, self.template = scenario, seed, template
        self.rng = random.Random(seed)
        self.dir = work / f"{scenario}-{seed}"
        self.produce_s, self.rate, self.settle_timeout, self.keep = produce_s, rate, settle_timeout, keep
        self.result = RunResult(scenario, seed)
        self.devices = self.dir / "devices"

    def run(self) -> RunResult:
        started = time.monotonic()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        try:
            with ExitStack() as stack:
                self._run(stack)
        except Exception as exc:  # noqa: BLE001 - a failed run is a figure, not the end of the batch
            self.result.ok = False
            self.result.error = self.result.error or f"{type(exc).__name__}: {exc}"
        self.result.seconds = round(time.monotonic() - started, 2)
        if self.result.ok and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.result

    def _run(self, stack: ExitStack) -> None:
        self._t0 = time.monotonic()
        hub_dir = self.dir / "hub"
        hub_dir.mkdir()
        if self.scenario == "disk_full":  # the hub's data dir on a small filesystem of its own
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(hub_dir)], check=True)
            stack.callback(subprocess.run, ["umount", "-l", str(hub_dir)], check=False)
        db_url = self.template.new_db(hub_dir)
        stack.callback(self.template.drop_db, db_url)
        broker = ManagedBroker(self.dir / "broker", port=free_port(), engine="mosquitto").start()
        stack.callback(broker.stop)
        self.hub = hub = FaultHub(broker.url, hub_dir, db_url, self.dir / "hub.log").start()
        stack.callback(hub.stop)
        links = {name: CuttableLink(broker.host, broker.port) for name in ("producers", "phones")}
        for link in links.values():
            stack.callback(link.close)
        store = HubStore(db_url, hub_dir)
        stack.callback(store.close)

        phones = Phones(links["phones"].url, self.devices, self.seed)
        stack.callback(phones.stop)
        phones.start()

        producer_log = self.dir / "producers.log"
        self.producer = start_producers(links["producers"].url, self.devices, self.seed, self.produce_s, self.rate,
                                        producer_log)
        stack.callback(lambda: self.producer.poll() is None and self.producer.kill())
        production_start = time.monotonic()
        deadline = production_start + 20
        while _count_records(store) == 0:  # the fault lands while records flow
            if time.monotonic() > deadline:
                raise RuntimeError("no record reached the hub before the fault")
            time.sleep(0.05)
        flowing = time.monotonic()
        time.sleep(self.rng.uniform(0.0, max(0.1, self.produce_s * 0.7 - (flowing - production_start))))
        t_fault = time.monotonic()
        self.result.fault = self._inject(links, broker, producer_log, production_start)
        t_settle = time.monotonic()

        if not self._settle(store, producer_log, phones):
            self.result.error = self.result.error or "did not converge within the settle timeout"
        # stop the devices (they drain first) and audit what they hold on disk against the hub
        t_stop = time.monotonic()
        if self.producer.poll() is None:
            self.producer.terminate()  # drains and stops while the phones do the same
        phones.stop()
        stop_process(self.producer)
        self.result.notes.append(f"phases: setup+flow {t_fault - self._t0:.1f}s fault {t_settle - t_fault:.1f}s "
                                 f"settle {t_stop - t_settle:.1f}s stop {time.monotonic() - t_stop:.1f}s")
        final = audit({d: self.devices / d for d in RUN_DEVICES if (self.devices / d / "terminal.db").exists()}, store)
        r = self.result
        r.created, r.stored, r.lost = final.created, final.stored, final.lost
        r.duplicated, r.acked_but_missing = final.duplicates, final.acked_but_missing
        r.tasks_dispatched, r.tasks_confirmed, r.tasks_elsewhere = task_counts(store)
        r.dead_letters = store.count_dead_letters()
        if hub.proc.poll() is not None:
            r.notes.append(f"hub exited with {hub.proc.returncode}")
        r.ok = (not r.error and r.created > 0 and r.lost == 0 and r.duplicated == 0 and r.acked_but_missing == 0
                and final.acknowledged == r.created and r.tasks_confirmed == r.tasks_dispatched
                and hub.proc.poll() is None)
        if not r.ok and not r.error:
            r.error = (f"created={r.created} stored={r.stored} acked={final.acknowledged} lost={r.lost} "
                       f"dup={r.duplicated} acked_missing={r.acked_but_missing} "
                       f"tasks={r.tasks_confirmed}/{r.tasks_dispatched}")

    def _disk_refused(self) -> bool:
        return disk_refused(self.hub.log.read_text(errors="replace") if self.hub.log.exists() else "")

    def _inject(self, links, broker: ManagedBroker, producer_log: Path, production_start: float) -> str:
        rng = self.rng
        if self.scenario == "hub_kill":
            down = rng.uniform(0.2, 2.0)
            self.hub.kill9()
            time.sleep(down)
            self.hub.start()
            return f"hub kill -9, down {down:.1f}s"
        if self.scenario == "broker_restart":
            down = rng.uniform(0.1, 2.0)
            broker.restart(down_for=down)
            return f"broker restart, down {down:.1f}s"
        if self.scenario == "link_cut":
            which, down = rng.choice(sorted(links)), rng.uniform(1.0, 5.0)
            links[which].cut()
            time.sleep(down)
            links[which].restore()
            return f"{which}' link cut for {down:.1f}s"
        if self.scenario == "device_kill":
            self.producer.send_signal(signal.SIGKILL)
            self.producer.wait(10)
            left = max(0.5, self.produce_s - (time.monotonic() - production_start))
            self.producer = start_producers(links["producers"].url, self.devices, self.seed + 1, left, self.rate,
                                            producer_log)
            return f"device process kill -9, restarted to produce {left:.1f}s more"
        if self.scenario == "disk_full":
            down = rng.uniform(1.0, 3.0)
            filler = fill_disk(self.hub.data_dir)
            started = time.monotonic()
            time.sleep(down)
            # On a loaded machine the hub may not have written in that window (or its WAL still had room): hold
            # the disk full while the devices still produce, up to 10 s more, until the hub has refused a write.
            until = time.monotonic() + 10
            while time.monotonic() < until and self.producer.poll() is None and not self._disk_refused():
                time.sleep(0.1)
            filler.unlink()
            return f"hub disk full for {time.monotonic() - started:.1f}s"
        if self.scenario == "pg_restart":
            restart_postgres()
            return "PostgreSQL restart"
        raise ValueError(f"unknown scenario {self.scenario!r}")

    def _settle(self, store: HubStore, producer_log: Path, phones: Phones) -> bool:
        """Once production is over, the grid leaders put their phones down (no new actions), then wait for
        the devices' outboxes to be all acknowledged, the hub's pipeline empty (every report taken in, every
        action applied, every case event dispatched) and every task message confirmed - three times in a row
        half a second apart with nothing new appearing."""
        deadline = time.monotonic() + self.produce_s + self.settle_timeout
        streak, last = 0, None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if b"production over" not in producer_log.read_bytes():
                continue
            phones.stop_working()
            if self.producer.poll() is not None:
                self.result.error = f"device process exited with {self.producer.returncode}"
                return False
            try:
                totals = audit({d: self.devices / d for d in RUN_DEVICES
                                if (self.devices / d / "terminal.db").exists()}, store)
                sent, confirmed, _ = task_counts(store)
                backlog = hub_backlog(store)
            except Exception:  # noqa: BLE001 - PostgreSQL may still be coming back; ask again
                streak = 0
                continue
            settled = (totals.created > 0 and totals.lost == 0 and totals.acknowledged == totals.created
                       and backlog == 0 and sent == confirmed)
            snapshot = (totals.created, sent)  # nothing new may appear during the streak either
            streak = streak + 1 if settled and (streak == 0 or snapshot == last) else int(settled)
            last = snapshot
            if streak >= 3:
                return True
        return False


class Phones:
    """The grid leaders' phones (in this process), each with a simulated person taking its tasks."""

    def __init__(self, broker_url: str, devices: Path, seed: int, pace: float = 0.05, ids=PHONES):
        self.devices = [Device(i, devices / i, broker_url, deployment_key=SIMULATOR_KEY, **DEVICE_OPTIONS)
                        for i in ids]
        self.workers = [FieldWorker(d, random.Random(f"{seed}-{d.device_id}"), pace=pace) for d in self.devices]
        self._working, self._stopped = threading.Event(), False
        self._thread = threading.Thread(target=self._work, name="fault-phones", daemon=True)

    def start(self) -> None:
        for device in self.devices:
            device.start()
        self._working.set()
        self._thread.start()

    def _work(self) -> None:
        while self._working.is_set():
            for worker in self.workers:
                try:
                    worker.step()
                except Exception:
                    logging.getLogger(__name__).exception("field worker step failed")
            time.sleep(0.1)

    def stop_working(self) -> None:
        self._working.clear()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._working.clear()
        if self._thread.is_alive():
            self._thread.join(10)
        for device in self.devices:
            device.wait_drained(20)
            device.stop()


def _count_records(store: HubStore) -> int:
    try:
        return store.count_records()
    except sa.exc.SQLAlchemyError:
        return 0


class Crowd:
    """The cheap part of a district-size fleet: plain MQTT clients publishing PositionFix QoS 1, many per
    process (benchmarks.rig.crowd), straight to the broker. Those clients do not reconnect, so a broker restart
    is bracketed by ``stop()`` / ``start()``: each start is a new generation with fresh device ids (sequence
    numbers restart at 1), and the audit counts all generations. Start it after the hub has subscribed (what
    the broker gets before that is dropped), with the "spawn" start method once this process has threads."""

    def __init__(self, host: str, port: int, count: int, period_s: float, procs: int = 2):
        self.host, self.port, self.count, self.period_s, self.procs = host, port, count, period_s, procs
        self.generations: list[tuple] = []  # (processes, stop, published, acked)

    @property
    def prefix(self) -> str:
        return f"crowd{len(self.generations)}-"

    def start(self) -> Crowd:
        from benchmarks.rig import start_crowd
        ids = [f"{self.prefix}{i:05d}" for i in range(self.count)]
        procs, stop, _period, published, acked = start_crowd(self.host, self.port, ids, self.period_s, self.procs)
        self.generations.append((procs, stop, published, acked))
        return self

    def stop(self) -> None:
        for procs, stop, _, _ in self.generations:
            stop.set()
            for p in procs:
                p.join(30)
                if p.is_alive():
                    p.kill()

    def audit(self, store: HubStore) -> dict[str, int]:
        """published / acked (by the broker) / stored (distinct device+seq) / duplicates / acked_not_stored."""
        published = sum(g[2].value for g in self.generations)
        acked = sum(g[3].value for g in self.generations)
        mine = records.c.device_id.like("crowd%")
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
            distinct = conn.execute(sa.select(sa.func.count()).select_from(
                sa.select(records.c.device_id, records.c.seq).where(mine).distinct().subquery())).scalar_one()
        return {"published": published, "acked": acked, "stored": distinct, "duplicates": rows - distinct,
                "acked_not_stored": max(0, acked - distinct)}
