"""Wake-ups across hub workers on real PostgreSQL (LISTEN/NOTIFY, ``hub/jobs/notify.py``).

Each "worker" here is a ``NotifyRelay`` with its own connections, as in separate processes. The fallback poll
while listening is 30 s, so only a notification can explain a wake-up within a few seconds."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import sqlalchemy as sa

from hub.app import relay_jobs
from hub.cases.dispatch import Dispatcher
from hub.jobs.notify import NotifyRelay
from hub.jobs.runner import JobRunner
from hub.store.tables import case_events, dispatch_marks

from ..cases.dispatch_fixtures import INSIDE, make_service, report
from ..conftest import wait_until

SAFETY_POLL_S = 30.0
PROMPT_S = 3.0  # well under the safety poll


@contextmanager
def running(*relays: NotifyRelay):
    """The relays' listener and sender threads, as a hub worker's JobRunner runs them; all listening on entry."""
    runners = [JobRunner(relay_jobs(relay)).start() for relay in relays]
    try:
        wait_until(lambda: all(relay.listening for relay in relays))
        yield
    finally:
        for runner in runners:
            runner.stop()


def terminate(engine: sa.Engine, pid: int) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar() is True


def test_a_ring_on_one_worker_wakes_the_dispatcher_on_another(pg_store, clock):
    service = make_service(pg_store, clock)
    worker_a, worker_b = (NotifyRelay(pg_store.db_url, listening_poll_s=SAFETY_POLL_S) for _ in range(2))
    ring_on_a = worker_a.bell("dispatch").ring
    bell_on_b = worker_b.bell("dispatch")
    dispatcher = Dispatcher(pg_store, service)  # worker B's dispatcher; worker A only commits and rings
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run_forever, args=(stop,),
                              kwargs={"interval_s": 0.5, "bell": bell_on_b})
    with running(worker_a, worker_b):
        thread.start()
        try:
            wait_until(lambda: dispatcher.cursor is not None)
            time.sleep(1.0)  # B's start-up passes are over: it now sleeps on the 30 s safety poll
            case_id = service.open_case_from_report(report(clock), INSIDE).case.id
            committed_at = time.monotonic()
            ring_on_a()
            marked = (sa.select(sa.func.count()).select_from(dispatch_marks)
                      .join(case_events, case_events.c.id == dispatch_marks.c.event_id)
                      .where(case_events.c.case_id == case_id))

            def dispatched() -> bool:
                with pg_store.engine.connect() as conn:
                    return conn.execute(marked).scalar_one() > 0

            wait_until(dispatched, timeout=PROMPT_S)
            assert time.monotonic() - committed_at < PROMPT_S
            assert worker_b.received >= 1 and worker_a.sent >= 1
        finally:
            stop.set()
            bell_on_b.ring_here()
            thread.join(10)
    assert not thread.is_alive()


def test_the_listener_and_sender_survive_their_connections_being_killed(pg_store):
    worker_a, worker_b = (NotifyRelay(pg_store.db_url, listening_poll_s=SAFETY_POLL_S) for _ in range(2))
    bell_on_a, bell_on_b = worker_a.bell("intake"), worker_b.bell("intake")
    with running(worker_a, worker_b):
        killed_pid, rings = worker_b.listener_pid, bell_on_b.rings
        terminate(pg_store.engine, killed_pid)
        wait_until(lambda: worker_b.connects == 2 and worker_b.listening, timeout=10)
        assert worker_b.listener_pid != killed_pid
        # Losing and regaining LISTEN rang B's jobs: they look now (and poll short while it is down).
        assert bell_on_b.rings >= rings + 2

        received = worker_b.received
        bell_on_a.ring()
        wait_until(lambda: worker_b.received == received + 1, timeout=PROMPT_S)  # the new LISTEN hears A

        terminate(pg_store.engine, worker_a.sender_pid)  # A's next notification fails once, then is re-sent
        bell_on_a.ring()
        wait_until(lambda: worker_b.received == received + 2, timeout=PROMPT_S)
        assert worker_a.send_failures >= 1


def test_own_notifications_are_ignored_and_never_echo(pg_store):
    worker_a, worker_b = (NotifyRelay(pg_store.db_url, listening_poll_s=SAFETY_POLL_S) for _ in range(2))
    bell_on_a, bell_on_b = worker_a.bell("dispatch"), worker_b.bell("dispatch")
    with running(worker_a, worker_b):
        time.sleep(0.3)
        rings_a, rings_b = bell_on_a.rings, bell_on_b.rings
        bell_on_a.ring()
        wait_until(lambda: worker_a.ignored_own == 1 and worker_b.received == 1, timeout=PROMPT_S)
        time.sleep(0.5)  # time for an echo, if there were one
        assert (worker_a.sent, worker_b.sent) == (1, 0)  # B's relayed ring is not sent back out
        assert (worker_a.received, bell_on_a.rings - rings_a) == (0, 1)  # A was rung once: by itself
        assert bell_on_b.rings - rings_b == 1


def test_a_burst_of_rings_is_one_notification(pg_store):
    worker_a, worker_b = (NotifyRelay(pg_store.db_url, listening_poll_s=SAFETY_POLL_S) for _ in range(2))
    bells_a = [worker_a.bell(name) for name in ("intake", "dispatch", "actions")]
    bells_b = [worker_b.bell(name) for name in ("intake", "dispatch", "actions")]
    with running(worker_b):
        time.sleep(0.3)
        before = [bell.rings for bell in bells_b]
        for _ in range(200):  # commits while A's sender is not running yet (as while PostgreSQL is away)
            for bell in bells_a:
                bell.ring()
        with running(worker_a):
            wait_until(lambda: worker_b.received >= 1, timeout=PROMPT_S)
            time.sleep(0.5)
            assert worker_a.sent == 1 and worker_b.received == 1  # 600 rings, one NOTIFY naming three bells
            assert [bell.rings - n for bell, n in zip(bells_b, before, strict=False)] == [1, 1, 1]


def test_the_long_poll_applies_only_while_listening(pg_store):
    relay = NotifyRelay(pg_store.db_url, listening_poll_s=0.6)
    bell = relay.bell("dispatch")
    started = time.monotonic()
    assert bell.wait(0.05) is False and time.monotonic() - started < 0.5  # not listening: the short poll
    with running(relay):
        bell.wait(0.05)  # the ring of connecting
        started = time.monotonic()
        assert bell.wait(0.05) is False and time.monotonic() - started >= 0.55
    started = time.monotonic()
    bell.wait(0.05)
    assert bell.wait(0.05) is False and time.monotonic() - started < 0.5  # stopped: short again
