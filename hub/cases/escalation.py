"""Unaccepted and overdue cases: re-send, then escalate up grid → community → street → district → city.

A periodic sweep on an injected clock (tests move the clock; nothing sleeps):
- a dispatched case whose handler has not accepted within ``accept_window`` gets its task re-sent once
  (催办); still unaccepted one window after that, the case escalates one level;
- an overdue case (past its deadline, not suspended) escalates one level, and again every
  ``overdue_every`` while it stays overdue, until the city;
- every live case is re-coloured (three-colour level from the share of its time limit used) and its devices
  get the new colour.

The deadline itself is computed in :func:`hub.cases.timing.deadline` (stored on the case by the service at
filing and on suspend/resume); the accept window and the overdue repeat are settings (``task_accept_window_s``,
``overdue_escalation_every_s``).

Working time, not wall-clock time (工作时间): the accept window and the overdue repeat are measured on the
service's calendar (:class:`hub.org.calendar.WorkCalendar`; the hub's is
:func:`hub.org.workdays.deployment_calendar`: office hours, weekends, public holidays and 调休 make-up days, local
overrides), like the deadline. A task dispatched on Friday at 17:00 is re-sent at 17:30 and escalated on Monday
at 09:00 (not Friday at 18:00); an overdue case climbs one level per ``overdue_every`` of office time, so it does
not run grid → city over a night or through 春节.

Urgent cases are the exception, on wall-clock time on purpose: a case whose reporter said 紧急 (severity
``urgent``), whose category is urgent (重大), or that raised the urgent alarm. Their alarm and the immediate
notification up to ``urgent_notify_level`` happen at once whatever the hour (CaseService._sound_alarm), and
here their accept window (re-send, then escalate) and their overdue repeat also count every minute, nights and
holidays included: an urgent task nobody accepts at 23:00 is chased at 23:30, not the next working morning.
Their deadline (办结时限) itself stays a working-time limit like every other case's (timing.deadline).

An escalation is a trail entry (``escalate``, actor ``system``, same state before and after) plus the case's
``escalation_level``/``escalated_at`` and a raised level. It does not bump the case version (it is no state
change) and never makes a worker's offline action stale. The dispatcher sees the event and sends the new
level's people an ``informed`` task.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.cases import repo, timing
from hub.cases.dispatch import Dispatcher
from hub.cases.recipients import ESCALATION_CHAIN, case_chain
from hub.cases.rows import CaseRow
from hub.cases.service import LIVE_STATES, CaseService
from hub.jobs.wakeup import serve_periodic
from hub.store.locks import ClusterLock

log = logging.getLogger(__name__)

DISPATCHING = ("dispatch", "reassign", "rework", "reopen")  # transitions that (re)start the accept window
ANY_LEVEL = object()  # escalate(): no compare-and-set on the current level


@dataclass
class SweepResult:
    resent: int = 0
    escalated: list[tuple[str, str, str | None]] = field(default_factory=list)  # (case id, reason, new level)
    recoloured: int = 0


class EscalationSweep:
    def __init__(self, service: CaseService, dispatcher: Dispatcher, *, accept_window: timedelta,
                 overdue_every: timedelta):
        self.service = service
        self.dispatcher = dispatcher
        self.db = service.db
        self.clock = service.clock
        self.calendar = service.calendar
        self.accept_window = accept_window
        self.overdue_every = overdue_every
        self.last: SweepResult | None = None

    def run_once(self) -> SweepResult:
        result = SweepResult()
        now = self.clock()
        self._unaccepted(now, result)
        self._overdue(now, result)
        self._recolour(result)
        self.last = result
        return result

    def run_forever(self, stop: threading.Event, interval_s: float = 30.0, *, lock: ClusterLock | None = None,
                    on_work: Callable[[], None] | None = None) -> None:
        """Sweep every ``interval_s``; with ``lock`` (one per deployment) only one hub worker sweeps a period."""
        def one_pass() -> None:
            result = self.run_once()
            if (result.escalated or result.recoloured) and on_work is not None:
                on_work()  # escalation events: the dispatcher informs the new level now

        serve_periodic(stop, interval_s, one_pass, lock=lock, name="escalation sweep")

    # -- unaccepted ---------------------------------------------------------------------------------
    def _unaccepted(self, now: datetime, result: SweepResult) -> None:
        with self.db.read() as conn:
            waiting = repo.cases_in_states(conn, ["dispatched"])
        for case in waiting:
            try:
                self._check_unaccepted(case, now, result)
            except Exception:
                log.exception("unaccepted check of case %s failed", case.id)

    def _check_unaccepted(self, case: CaseRow, now: datetime, result: SweepResult) -> None:
        with self.db.read() as conn:
            since = repo.last_applied_at(conn, case.id, DISPATCHING)
        if since is None or not self._waited(case, since, now, self.accept_window):
            return
        with self.db.read() as conn:
            if repo.escalated_since(conn, case.id, "unaccepted", since):
                return  # escalated once for this dispatch; overdue takes it further
            handler_tasks = repo.unaccepted_handler_tasks(conn, case.id, since)
        unreminded = [t for t in handler_tasks if t.resent_at is None or t.resent_at < since]
        if unreminded:
            for task in unreminded:
                result.resent += self.dispatcher.remind(task.id) is not None
            return
        last_nudge = max((t.resent_at for t in handler_tasks if t.resent_at and t.resent_at >= since), default=since)
        if not self._waited(case, last_nudge, now, self.accept_window):
            return
        escalated = self.escalate(case.id, "unaccepted", seen_level=case.escalation_level)
        if escalated is not None:
            result.escalated.append((case.id, "unaccepted", escalated.escalation_level))
            with self.db.write() as conn:
                repo.mark_escalated(conn, [t.id for t in handler_tasks], now)

    # -- overdue ------------------------------------------------------------------------------------
    def _overdue(self, now: datetime, result: SweepResult) -> None:
        with self.db.read() as conn:
            late = repo.overdue(conn, LIVE_STATES, now)
        for case in late:
            if case.escalation_level == ESCALATION_CHAIN[-1]:
                continue
            try:
                due_again = (case.escalated_at is None or case.deadline is None or case.escalated_at < case.deadline
                             or self._waited(case, case.escalated_at, now, self.overdue_every))
                if not due_again:
                    continue
                escalated = self.escalate(case.id, "overdue", seen_level=case.escalation_level)
            except Exception:
                log.exception("escalating overdue case %s failed", case.id)
                continue
            if escalated is not None:
                result.escalated.append((case.id, "overdue", escalated.escalation_level))

    # -- how long a case has waited -----------------------------------------------------------------
    def _waited(self, case: CaseRow, since: datetime, now: datetime, period: timedelta) -> bool:
        """Whether ``period`` has passed since ``since``: working time on the calendar, wall-clock time for an
        urgent case (module note)."""
        if self._urgent(case):
            return now - since >= period
        return self.calendar.elapsed_at_least(since, now, period)

    def _urgent(self, case: CaseRow) -> bool:
        if case.severity == "urgent" or case.alarm_at is not None:
            return True
        category = self.service.category(case.category_code)
        return category is not None and category.urgent

    # -- the escalation itself ------------------------------------------------------------------
    def escalate(self, case_id: str, reason: str, *, seen_level: str | None | object = ANY_LEVEL) -> CaseRow | None:
        """Raise the case one level up the hierarchy (and one colour); None when it is not live or already
        at the top. Written with its trail entry in one transaction.

        ``seen_level`` is the escalation level the caller decided on: if the locked row has moved on (another
        worker's sweep escalated it meanwhile) nothing happens, so a decision is acted on at most once."""
        with self.db.write() as conn:
            case = repo.case(conn, case_id, lock=True)
            if case is None:
                return None
            if case.state not in LIVE_STATES or case.state == "suspended":
                return None
            if seen_level is not ANY_LEVEL and case.escalation_level != seen_level:
                return None  # escalated since the caller looked: that decision has been acted on
            chain = case_chain(conn, case)
            levels = [u.level for u in chain]
            start = levels.index(case.escalation_level) if case.escalation_level in levels else 0
            if start + 1 >= len(chain):
                return None
            target, now = chain[start + 1], self.clock()
            repo.escalate_row(conn, case_id, escalation_level=target.level, at=now, level=timing.bump_level(case.level))
            repo.insert_event(conn, case_id, {
                "transition": "escalate", "outcome": "applied", "from_state": case.state, "to_state": case.state,
                "actor": "system", "at": now, "received_at": now, "origin": "system", "reason": reason,
                "note": f"升级至{target.name}（{target.code}）/ escalated to the {target.level} {target.code}",
                "client_event_id": f"escalate:{case_id}:{target.level}"})
            log.info("case %s escalated to %s %s (%s)", case_id, target.level, target.code, reason)
            return repo.case(conn, case_id)

    # -- three colours --------------------------------------------------------------------------
    def _recolour(self, result: SweepResult) -> None:
        with self.db.read() as conn:
            # Red cannot rise further: only the others are worth a (write) refresh each sweep.
            live = repo.levels_of_live(conn, LIVE_STATES, below_red=True)
        for case_id, level in live:
            try:
                if self.service.refresh_level(case_id).level != level:
                    result.recoloured += 1
                    self.dispatcher.send(self.dispatcher.sync_case(case_id, why="level"))
            except Exception:
                log.exception("re-colouring case %s failed", case_id)
