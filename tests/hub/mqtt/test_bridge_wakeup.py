"""Wake-ups instead of polling: the bridge tells its listeners what a commit stored, and the background jobs
run at once when rung, long before their fallback poll (set to a minute here, so only a ring can explain it);
a case transition through the HTTP API rings the dispatcher. Real broker, real bridge, SQLite and PostgreSQL.
Rings across hub workers (PostgreSQL LISTEN/NOTIFY): ``test_pg_wakeup.py``."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from hub.app import background_jobs
from hub.cases import CaseService
from hub.cases.intake import CaseIntake
from hub.jobs.runner import JobRunner
from hub.jobs.wakeup import Doorbell
from hub.store.locks import ClusterLock
from hub.store.tables import case_events, dispatch_marks

from ..api.test_cases import client, open_case, org, step  # noqa: F401 - fixtures: a signed-in API over a store
from ..conftest import wait_until

MINUTE = 60.0


def test_bridge_tells_listeners_the_kinds_each_commit_stored(bridge, terminals):
    heard: list[set[str]] = []
    bridge.on_commit(heard.append)
    kiosk = terminals("kiosk")
    kiosk.send(kiosk.heartbeat())
    wait_until(lambda: any("heartbeat" in kinds for kinds in heard))
    report = kiosk.report("wake up")
    kiosk.send(report)
    wait_until(lambda: report.id in kiosk.committed_ids())
    assert any("report" in kinds for kinds in heard)


def test_listener_failure_does_not_stop_ingest(bridge, terminals):
    def broken(kinds):
        raise RuntimeError("listener bug")

    bridge.on_commit(broken)
    kiosk = terminals("kiosk")
    first, second = kiosk.report("one"), kiosk.report("two")
    kiosk.send(first)
    kiosk.send(second)
    wait_until(lambda: {first.id, second.id} <= set(kiosk.committed_ids()))


def test_a_report_becomes_a_dispatched_case_event_without_waiting_for_the_poll(bridge, terminals, hub_settings):
    settings = hub_settings.model_copy(update={"job_fallback_poll_s": MINUTE})
    jobs = JobRunner(background_jobs(settings, bridge.store, bridge, bridge.clock)).start()
    try:
        wait_until(lambda: jobs.handle("intake").cursor is not None and jobs.handle("dispatch").cursor is not None)
        kiosk = terminals("kiosk")
        report = kiosk.report("路灯不亮")
        kiosk.send(report)
        opened = sa.select(case_events.c.id).where(case_events.c.client_event_id == f"report:{report.id}")
        with_mark = opened.join_from(case_events, dispatch_marks, dispatch_marks.c.event_id == case_events.c.id)

        def dispatched():
            with bridge.store.engine.connect() as conn:
                return conn.execute(with_mark).first()

        wait_until(dispatched, timeout=10)  # intake rung by the bridge, the dispatcher rung by intake
    finally:
        jobs.stop()


def test_intake_sleeps_until_rung(store, clock):
    service = CaseService(store, clock=clock)
    intake = CaseIntake(store, service)
    bell, stop, passes = Doorbell("intake"), threading.Event(), []
    original = intake.run_once

    def counted():
        passes.append(1)
        return original()

    intake.run_once = counted
    thread = threading.Thread(target=intake.run_forever, args=(stop,),
                              kwargs={"interval_s": MINUTE, "bell": bell, "lock": ClusterLock(store.engine, "intake")})
    thread.start()
    try:
        wait_until(lambda: len(passes) == 1)  # the start-up catch-up pass
        bell.ring()
        wait_until(lambda: len(passes) == 2)
        bell.ring()
        wait_until(lambda: len(passes) == 3)
        assert bell.rings == 2
    finally:
        stop.set()
        bell.ring()
        thread.join(5)
    assert not thread.is_alive()


def test_a_ring_during_a_pass_is_not_lost():
    bell = Doorbell()
    bell.ring()
    assert bell.wait(0) is True  # cleared by wait, before the job reads the database
    bell.ring()  # a commit lands while the job is reading: it must run again
    assert bell.wait(0) is True
    assert bell.wait(0) is False


def test_a_case_transition_through_the_api_rings_the_dispatcher(client, org, clock):
    jobs = {job.name: job for job in client.app.state.jobs.jobs}
    dispatch_bell = jobs["dispatch"].bell
    if "wakeup-listen" in jobs:  # PostgreSQL: connecting the listener rings every bell once; let that pass
        wait_until(lambda: jobs["wakeup-listen"].handle.listening)
    case_id = open_case(org, clock)
    rings = dispatch_bell.rings
    refused = step(client, case_id, "resolve", "d1", note="x")
    assert refused.status_code == 422 and dispatch_bell.rings == rings  # nothing committed, nothing rung
    assert step(client, case_id, "file", "d1", expected_version=1).status_code == 200
    assert dispatch_bell.rings == rings + 1
