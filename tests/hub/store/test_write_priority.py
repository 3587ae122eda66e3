"""SQLite's write lock goes to case work before the position batches queued ahead of it (issue 22): ordering,
not timing. The gate decides; SQLite's busy_timeout polling (what decided before) would let either win."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.cases.intake import CaseIntake
from hub.cases.service import CaseService
from hub.mqtt.ingest import decode_batch, ingest_batch
from hub.store import HubStore
from hub.store.write_gate import BULK, CASEWORK, MAX_BYPASS, WriteGate
from protocol import Position, PositionFix, uuid7
from tests.hub.conftest import T0, Device, raw, wait_until


def _queue_in_order(gate: WriteGate, jobs: list[tuple[str, int]]) -> list[str]:
    """Hold the gate, queue ``jobs`` (name, priority) one after another, release: the order they got it in."""
    order: list[str] = []
    release, held = threading.Event(), threading.Event()

    def holder() -> None:
        with gate.hold(BULK):
            held.set()
            release.wait(10)

    def job(name: str, priority: int) -> None:
        with gate.hold(priority):
            order.append(name)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    held.wait(10)
    for i, (name, priority) in enumerate(jobs):
        threads.append(threading.Thread(target=job, args=(name, priority)))
        threads[-1].start()
        wait_until(lambda i=i: gate.waiting() == i + 1)
    release.set()
    for t in threads:
        t.join(10)
    return order


def test_case_work_first_then_first_come_first_served():
    gate = WriteGate()
    order = _queue_in_order(gate, [("positions-1", BULK), ("intake", CASEWORK), ("positions-2", BULK),
                                   ("dispatch", CASEWORK)])
    assert order == ["intake", "dispatch", "positions-1", "positions-2"]


def test_a_position_batch_is_overtaken_only_so_often():
    gate = WriteGate()
    jobs = [("positions", BULK)] + [(f"case-{i}", CASEWORK) for i in range(MAX_BYPASS + 3)]
    order = _queue_in_order(gate, jobs)
    assert order.index("positions") == MAX_BYPASS  # after MAX_BYPASS case writes it goes next, not last


def test_reentrant_in_one_thread_and_a_wait_that_ends_like_sqlite_busy():
    gate = WriteGate()
    with gate.hold(), gate.hold(BULK):  # a write inside a write of the same thread does not wait for itself
        failure: list[BaseException] = []

        def other() -> None:
            try:
                with gate.hold(timeout=0.2):
                    pass
            except TimeoutError as exc:
                failure.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join(5)
    assert failure and "database is locked" in str(failure[0])
    assert gate.waiting() == 0
    with gate.hold(timeout=0.2):  # and the gate is free again
        pass


def test_a_reports_case_intake_does_not_wait_behind_a_position_batch(tmp_path, clock):
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "data", clock=clock)
    store.migrate()
    try:
        kiosk, phone = Device("kiosk-1"), Device("phone-1")
        report = kiosk.report("路灯不亮")
        store.store_batch(decode_batch([raw(report)]))  # stored, not yet taken in
        intake = CaseIntake(store, CaseService(store, clock=clock))
        positions = [raw(PositionFix(id=uuid7(), device_id=phone.id, seq=i + 1, created_at=T0 + timedelta(seconds=i),
                                     position=Position(lat=31.2, lon=121.5 + i * 1e-5, accuracy_m=5)))
                     for i in range(300)]
        commits: list[str] = []
        sa.event.listen(store.engine, "commit", lambda conn: commits.append(threading.current_thread().name))
        assert store.write_gate is not None
        release, held = threading.Event(), threading.Event()

        def batch_in_flight() -> None:  # the writer is storing a batch when the report's intake wakes
            with store.write(bulk=True):
                held.set()
                release.wait(10)

        first = threading.Thread(target=batch_in_flight, name="batch-1")
        first.start()
        held.wait(10)
        second = threading.Thread(target=ingest_batch, args=(positions, store), name="batch-2")
        second.start()
        wait_until(lambda: store.write_gate.waiting() == 1)
        taking_in = threading.Thread(target=intake.run_once, name="intake")
        taking_in.start()
        wait_until(lambda: store.write_gate.waiting() == 2)
        release.set()
        for t in (first, second, taking_in):
            t.join(20)
        assert intake.opened == 1
        assert commits[0] == "batch-1" and "batch-2" in commits
        assert commits.index("intake") < commits.index("batch-2"), commits
    finally:
        store.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_needs_no_gate(store):
    assert store.write_gate is None


def test_a_batch_with_a_report_is_case_work_and_positions_alone_are_bulk():
    from hub.store.repository import is_bulk

    phone, kiosk = Device("phone-1"), Device("kiosk-1")
    fix = PositionFix(id=uuid7(), device_id=phone.id, seq=1, created_at=T0,
                      position=Position(lat=31.2, lon=121.5, accuracy_m=5))
    positions = decode_batch([raw(fix), raw(phone.heartbeat())])
    assert is_bulk(positions)
    assert not is_bulk(positions + decode_batch([raw(kiosk.report("井盖缺失"))]))
