"""Scale-out: several hub workers on one Mosquitto ($share subscriptions) and one PostgreSQL.

- two worker processes share the uplinks; one is killed with SIGKILL while devices produce: every record is
  stored exactly once, every report opens exactly one case and every case event is dispatched once;
- work committed outside a worker wakes one through PostgreSQL NOTIFY within seconds although the workers poll
  every 30 s, also after their LISTEN connections were killed;
- two workers' escalation sweeps run concurrently against one clock: each overdue case escalates once.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub import sample
from hub.app import relay_jobs
from hub.cases import CaseService
from hub.cases.dispatch import Dispatcher
from hub.cases.escalation import EscalationSweep
from hub.jobs.notify import NotifyRelay
from hub.jobs.runner import JobRunner
from hub.org.calendar import WorkCalendar
from hub.org.routing import RouteResult
from hub.store import HubStore
from hub.store.locks import ClusterLock
from hub.store.tables import case_events, dispatch_marks, records
from terminal.simulate import run_simulation
from tests.hub.cases.dispatch_fixtures import CATEGORIES, INSIDE, drain, far_lon, make_service, report
from tests.isolation import free_port

from .conftest import assert_nothing_lost, audit_dirs, wait_until


class Worker:
    """``gridline hub serve --share-group`` as a real process, so it can be killed with SIGKILL."""

    def __init__(self, name: str, broker_url: str, db_url: str, data_dir: Path, group: str,
                 env: dict[str, str] | None = None):
        self.name, self.broker_url, self.db_url, self.data_dir, self.group = name, broker_url, db_url, data_dir, group
        self.env = env or {}
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gridline", "hub", "serve", "--broker", self.broker_url, "--db", self.db_url,
             "--http", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir), "--client-id", self.name,
             "--share-group", self.group], stdout=log, stderr=subprocess.STDOUT,
            # The broker queues a dead member's share until its session expires: keep that short in a test.
            env={**os.environ, "GRIDLINE_SHARED_SESSION_EXPIRY_S": "8", "PYTHONUNBUFFERED": "1", **self.env})
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / f"{self.name}.log").read_text()[-3000:])
            try:
                if self.health().get("status") == "ok":
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} did not become healthy")

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=5) as resp:
            return json.loads(resp.read())

    def stored(self) -> int:
        return self.health()["counters"].get("stored_records", 0)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()


def _count(engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


@pytest.mark.slow
def test_two_workers_one_killed_under_load_lose_and_duplicate_nothing(own_broker, pg_url, tmp_path, unique):
    subprocess.run([sys.executable, "-m", "gridline", "hub", "migrate", "--db", pg_url], check=True,
                   stdout=subprocess.DEVNULL)
    hub_dir = tmp_path / "hub"  # shared by both workers, as a shared volume would be (photos)
    w1 = Worker(f"w1-{unique}", own_broker.url, pg_url, hub_dir, "hubs").start()
    w2 = Worker(f"w2-{unique}", own_broker.url, pg_url, hub_dir, "hubs").start()
    result: dict = {}

    def devices():
        # A short ack timeout: records in flight to the killed worker are re-sent to the survivor.
        result["totals"] = run_simulation(own_broker.url, tmp_path / "devices", count=6, rate=12, duration=10,
                                          device_prefix=f"wk{unique}", drain_timeout=120, seed=3,
                                          device_options={"ack_timeout": 3.0})

    thread = threading.Thread(target=devices, daemon=True)
    try:
        thread.start()
        wait_until(lambda: w1.stored() > 20 and w2.stored() > 20, 30, message="both workers ingesting")
        w1.kill9()
        thread.join(200)
        assert result["totals"].drained, result["totals"]
        w1.start()  # its persistent session hands it what it held unacked: must be deduplicated, not re-stored
        time.sleep(2)
        store = HubStore(pg_url, hub_dir)
        try:
            reports = _count(store.engine, sa.select(sa.func.count()).select_from(records)
                             .where(records.c.kind == "report"))
            intake_events = sa.select(sa.func.count()).select_from(case_events).where(
                case_events.c.client_event_id.like("report:%"))
            wait_until(lambda: _count(store.engine, intake_events) == reports, 30, message="every report taken in")
            events = sa.select(sa.func.count()).select_from(case_events)
            marks = sa.select(sa.func.count()).select_from(dispatch_marks)
            wait_until(lambda: _count(store.engine, marks) == _count(store.engine, events), 30,
                       message="every case event dispatched")
            with store.engine.connect() as conn:
                twice = conn.execute(sa.select(case_events.c.client_event_id).where(
                    case_events.c.client_event_id.like("report:%")).group_by(case_events.c.client_event_id)
                    .having(sa.func.count() > 1)).all()
        finally:
            store.close()
        totals = audit_dirs(tmp_path / "devices", pg_url, hub_dir)
    finally:
        w1.stop()
        w2.stop()
    assert reports > 0
    assert twice == []
    assert_nothing_lost(totals)


def _listeners(engine, but: NotifyRelay) -> set[int]:
    """Backend pids of the LISTEN connections of hub workers other than ``but`` (``hub/jobs/notify.py``
    names them)."""
    query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name LIKE 'gridline-wakeup-listen:%' AND pid <> :own")
    with engine.connect() as conn:
        return set(conn.execute(query, {"own": but.listener_pid or 0}).scalars())


@pytest.mark.slow
def test_work_committed_elsewhere_wakes_a_worker_through_notify(own_broker, pg_url, tmp_path, unique):
    subprocess.run([sys.executable, "-m", "gridline", "hub", "community", "load-sample", "--db", pg_url],
                   check=True, stdout=subprocess.DEVNULL)
    polls = {"GRIDLINE_JOB_FALLBACK_POLL_S": "30", "GRIDLINE_JOB_LISTENING_POLL_S": "30"}  # only NOTIFY is prompt
    workers = [Worker(f"{n}-{unique}", own_broker.url, pg_url, tmp_path / "hub", "hubs", polls) for n in ("w1", "w2")]
    store = HubStore(pg_url, tmp_path / "elsewhere")
    service = CaseService(store)
    grid = sample.grids()[0]
    lon, lat = grid.centre()
    route = RouteResult(grid.code, grid.code[:12], 1.0, False, "inside")
    elsewhere = NotifyRelay(pg_url, listening_poll_s=30)  # e.g. a CLI or a third worker: it commits and rings
    ring_dispatch = elsewhere.bell("dispatch").ring
    runner = JobRunner(relay_jobs(elsewhere)).start()
    try:
        wait_until(lambda: elsewhere.listening, 10, message="the third party listening")
        for worker in workers:
            worker.start()
        wait_until(lambda: len(_listeners(store.engine, elsewhere)) == 2, 20, message="both workers listening")
        time.sleep(1.5)  # start-up passes done: the workers' jobs now sleep on the 30 s poll

        def dispatched_promptly(n: int) -> None:
            record = report(store.clock, lat=lat + 0.001 * n, lon=lon, device=f"x-{unique}")  # 110 m apart
            case_id = service.open_case_from_report(record, route).case.id
            ring_dispatch()
            marked = (sa.select(sa.func.count()).select_from(dispatch_marks)
                      .join(case_events, case_events.c.id == dispatch_marks.c.event_id)
                      .where(case_events.c.case_id == case_id))
            wait_until(lambda: _count(store.engine, marked) > 0, 5, message="dispatched within seconds")

        dispatched_promptly(0)
        killed = _listeners(store.engine, elsewhere)
        with store.engine.connect() as conn:  # e.g. PostgreSQL restarting under them
            for pid in killed:
                conn.execute(sa.select(sa.func.pg_terminate_backend(pid)))
        wait_until(lambda: len(_listeners(store.engine, elsewhere) - killed) == 2, 20,
                   message="both listening again")
        time.sleep(1.5)
        dispatched_promptly(1)
    finally:
        runner.stop()
        for worker in workers:
            worker.stop()
        store.close()


def _overdue_cases(store, clock, n: int) -> tuple[CaseService, list[str]]:
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service)
    ids = [service.open_case_from_report(report(clock, lon=far_lon()), INSIDE).case.id for _ in range(n)]
    drain(dispatcher)
    for case_id in ids:
        service.transition(case_id, "accept", "g1")
    clock.now = max(service.get(c).deadline for c in ids) + timedelta(minutes=1)
    return service, ids


class FixedClock:
    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now


@pytest.mark.parametrize("with_lock", [True, False], ids=["cluster-lock", "compare-and-set-only"])
def test_escalation_sweep_of_two_workers_fires_once(pg_url, tmp_path, with_lock):
    clock = FixedClock()
    stores = [HubStore(pg_url, tmp_path / f"w{i}", clock=clock) for i in range(2)]
    stores[0].migrate()
    try:
        _, ids = _overdue_cases(stores[0], clock, 12)
        sweeps = []
        for store in stores:  # each worker: its own engine, service, dispatcher and sweep
            service = CaseService(store, clock=clock, calendar=WorkCalendar(clock=clock), categories=CATEGORIES)
            sweeps.append(EscalationSweep(service, Dispatcher(store, service), accept_window=timedelta(minutes=30),
                                          overdue_every=timedelta(hours=4)))
        stop, barrier = threading.Event(), threading.Barrier(2)
        threads = []
        for store, sweep in zip(stores, sweeps, strict=False):
            if with_lock:  # the production loop: a period every 10 ms, one worker per period
                target = sweep.run_forever
                kwargs = {"interval_s": 0.01, "lock": ClusterLock(store.engine, "escalation-sweep")}
                args = (stop,)
            else:  # both sweep at once, no lock: only the compare-and-set in escalate() stands between
                target, args, kwargs = _sweep_after, (barrier, sweep), {}
            threads.append(threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True))
        for t in threads:
            t.start()
        if with_lock:
            time.sleep(1.5)
            stop.set()
        for t in threads:
            t.join(30)
        with stores[0].engine.connect() as conn:
            per_case = dict(conn.execute(sa.select(case_events.c.case_id, sa.func.count()).where(
                case_events.c.transition == "escalate").group_by(case_events.c.case_id)).all())
        assert per_case == dict.fromkeys(ids, 1)
        service = CaseService(stores[0], clock=clock)
        assert {service.get(c).escalation_level for c in ids} == {"community"}
    finally:
        for store in stores:
            store.close()


def _sweep_after(barrier: threading.Barrier, sweep: EscalationSweep) -> None:
    barrier.wait(10)
    sweep.run_once()


def test_cluster_lock_is_held_by_one_worker_and_freed_when_its_holder_dies(pg_url, tmp_path):
    a, b = HubStore(pg_url, tmp_path / "a"), HubStore(pg_url, tmp_path / "b")
    try:
        mine, theirs = ClusterLock(a.engine, "escalation-sweep"), ClusterLock(b.engine, "escalation-sweep")
        with mine.held() as got_a:
            with theirs.held() as got_b:
                assert (got_a, got_b) == (True, False)
            with ClusterLock(b.engine, "welfare-watch").held() as other:
                assert other  # locks are per job
        with theirs.held() as got_b:
            assert got_b
        # A worker killed mid-pass: its connection drops and PostgreSQL frees the lock at once.
        with mine.held() as got_a:
            assert got_a
            with b.engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                                     "WHERE locktype = 'advisory' AND objid = :k AND pid <> pg_backend_pid()"),
                             {"k": mine.key & 0xFFFFFFFF})
                conn.commit()
            wait_until(lambda: _try(theirs), 10, message="lock freed by the holder's death")
    finally:
        a.close()
        b.close()


def _try(lock: ClusterLock) -> bool:
    with lock.held() as got:
        return got


def test_cluster_lock_on_sqlite_is_always_granted(tmp_path):
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    try:
        lock = ClusterLock(store.engine, "escalation-sweep")
        with lock.held() as first, lock.held() as second:
            assert first and second  # one worker per SQLite file: nothing to exclude
    finally:
        store.close()
