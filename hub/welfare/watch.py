"""The welfare watch (独居老人每日签到): a day without any evidence becomes a case for the paired helper.

Evidence is a kiosk check-in, a helper's 平安 or a patrol's visit at the door (hub/welfare/evidence.py has the
rule; hub/welfare/observations.py takes the helpers' records and opens a case at once for a 异常). The window's end
below is the day's deadline: the enrolment's ``deadline`` when it has one, else the end of its check-in window.

Rules (documented for staff in the API too):
- A day is judged once its window has closed plus ``grace`` (check-ins in flight from kiosks). It is due
  when it is one of the resident's weekdays, the enrolment is not paused on it, and the window opened after
  the enrolment (or its resume) — no case for a window nobody was watching.
- A check-in counts when its DEVICE time (the moment the card was tapped) falls inside the window, however
  late it was received: a kiosk offline for hours still vouches for the morning. The hub's receive time
  only bounds the scan.
- The verdict is one ``welfare_checks`` row per resident per local day (unique constraint): two passes, or
  two hub workers, judge a day once. A missed check opens a case (E0703, source = the check id) that
  ``system`` files and dispatches to the primary helper (the grid worker if the helper cannot take it);
  every step is idempotent, so a pass that died half-way is finished by the next.
- A wellbeing check-in made after the window opened but seen only after the day was judged missed
  (uploaded late, or simply late, until local midnight) closes the loop: the case gets a note, and if
  nobody has accepted it yet, ``system`` resolves it with the check-in as evidence. A person still verifies
  and closes it (the tap may have been a neighbour with the card); an accepted case stays with its helper.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.cases.rows import CaseRow
from hub.cases.service import CaseService
from hub.cases.states import IllegalTransition
from hub.jobs.wakeup import serve_periodic
from hub.org import repo as org_repo
from hub.store.db import Database
from hub.store.locks import ClusterLock
from hub.welfare import observations_repo
from hub.welfare import repo as check_store
from hub.welfare.enrolment import Enrolment, EnrolmentRegistry
from hub.welfare.evidence import Evidence, counted_at, local_day_of, settling
from hub.welfare.observations import take_observations
from hub.welfare.schedule import Window, is_expected_day, local_day_end, recent_days, window_on
from hub.welfare.watchlist import queue_watchlists
from protocol import uuid7

log = logging.getLogger(__name__)

WELFARE_CATEGORY = "E0703"  # 独居老人未按时签到 (hub/org/default_taxonomy.json)
DEFAULT_GRACE = timedelta(minutes=10)


@dataclass
class PassResult:
    judged: int = 0  # rows this pass wrote (checked_in + missed)
    missed: int = 0
    cases_opened: int = 0
    late_answered: int = 0
    observations: int = 0  # helpers' observations taken
    abnormal_cases: int = 0  # cases opened for 异常 observations
    watchlists: int = 0  # helpers' phones sent today's list


class WelfareWatch:
    def __init__(self, db: Database, service: CaseService, *, clock: Callable[[], datetime] | None = None,
                 tz: ZoneInfo | str | None = None, grace: timedelta = DEFAULT_GRACE, catch_up_days: int = 1,
                 category: str = WELFARE_CATEGORY):
        self.db = db
        self.service = service
        self.clock = clock or service.clock
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz or service.calendar.tz
        self.grace = grace
        self.catch_up_days = catch_up_days  # how far back a pass looks (a hub that was down catches up)
        self.category = category
        self.enrolments = EnrolmentRegistry(db, clock=self.clock)
        self.failures = 0
        self._watchlists_sent: dict[str, str] = {}  # phone → the list body last queued (hub/welfare/watchlist.py)

    # -- what is due ----------------------------------------------------------------------------
    def window(self, enrolment: Enrolment, day: date) -> Window:
        """The day's span of evidence: from the window's start to the deadline (default: the window's end)."""
        end = max(enrolment.window_end, enrolment.deadline or enrolment.window_end)
        return window_on(day, enrolment.window_start, end, self.tz)

    def is_due(self, enrolment: Enrolment, day: date) -> bool:
        """Expected on ``day`` at all (weekday, not paused, watched when the window opened)."""
        return (is_expected_day(day, enrolment.weekdays) and not enrolment.paused_on(day)
                and self.window(enrolment, day).start >= enrolment.active_since)

    def ready_to_judge(self, enrolment: Enrolment, day: date, now: datetime) -> bool:
        return self.is_due(enrolment, day) and self.window(enrolment, day).end + self.grace <= now

    # -- one pass -------------------------------------------------------------------------------
    def run_once(self) -> PassResult:
        now, result = self.clock(), PassResult()
        taken = take_observations(self, now)  # helpers' 平安 / 异常 first: evidence for the verdicts below
        result.observations, result.abnormal_cases = taken.observations, taken.abnormal_cases
        self._judge(now, result)
        for check in self._missed_without_case():
            try:
                self.open_case_for(check)
                result.cases_opened += 1
            except Exception:
                self.failures += 1
                log.exception("welfare: could not open the case for missed check %s; retried next pass", check.id)
        result.late_answered = self._answer_late_checkins(now)
        try:
            result.watchlists = len(queue_watchlists(self, now, self._watchlists_sent))
        except Exception:
            self.failures += 1
            log.exception("welfare: could not queue the helpers' watch lists; retried next pass")
        return result

    def run_forever(self, stop: threading.Event, interval_s: float = 30.0, *, lock: ClusterLock | None = None,
                    on_work: Callable[[], None] | None = None) -> None:
        """A pass now and every ``interval_s``; with ``lock`` only one hub worker judges a period (the unique
        row per resident-day keeps it exactly-once even without it)."""
        def one_pass() -> None:
            try:
                result = self.run_once()
            except Exception:
                self.failures += 1
                raise
            if (result.cases_opened or result.late_answered or result.abnormal_cases) and on_work is not None:
                on_work()

        serve_periodic(stop, interval_s, one_pass, lock=lock, first_wait=False, name="welfare watch")

    def _judge(self, now: datetime, result: PassResult) -> None:
        days = recent_days(now, self.tz, self.catch_up_days)
        enrolled = self.enrolments.list()
        with self.db.read() as conn:
            judged = check_store.checks_on(conn, days, [e.resident_key for e in enrolled])
        due = [(e, self.window(e, d)) for e in enrolled for d in days
               if (e.resident_key, d) not in judged and self.ready_to_judge(e, d, now)]
        if not due:
            return
        seen = self.evidence([(e.resident_key, w) for e, w in due])
        for enrolment, window in due:
            hit = settling(window, seen.get((enrolment.resident_key, window.day), []), self.tz)
            if self._record(enrolment, window, hit, now):
                result.judged += 1
                result.missed += hit is None

    def evidence(self, wanted: list[tuple[str, Window]]) -> dict[tuple[str, date], list[Evidence]]:
        """Every piece of evidence (kiosk check-ins, helpers' and patrols' observations, 平安 and 异常) of the
        given residents' local days, by (resident, day), earliest first (hub/welfare/evidence.py judges them)."""
        if not wanted:
            return {}
        days = {w.day for _, w in wanted}
        found: dict[tuple[str, date], list[Evidence]] = {}
        with self.db.read() as conn:
            taps = check_store.wellbeing_checkins(conn, {k for k, _ in wanted}, min(w.start for _, w in wanted),
                                                  max(w.end for _, w in wanted))
            looks = observations_repo.on_days(conn, {k for k, _ in wanted}, days)
        for key, window in wanted:
            mine = [Evidence(counted_at(c.at, c.received_at), c.record_id, "checkin", c.device_id,
                             received_at=c.received_at) for c in taps.get(key, [])
                    if local_day_of(c.at, self.tz) == window.day]
            mine += looks.get((key, window.day), [])
            found[(key, window.day)] = sorted(mine)
        return found

    def _record(self, enrolment: Enrolment, window: Window, hit: Evidence | None, now: datetime) -> bool:
        """Write the day's verdict; False when another pass or worker wrote it first."""
        row = {"id": uuid7(int(now.timestamp() * 1000)), "enrolment_id": enrolment.id,
               "resident_key": enrolment.resident_key, "day": window.day,
               "status": "checked_in" if hit else "missed", "window_start": window.start, "window_end": window.end,
               "checkin_record_id": hit.record_id if hit else None, "checkin_at": hit.at if hit else None,
               "late_record_id": None, "late_at": None, "case_id": None, "evaluated_at": now}
        try:
            with self.db.write() as conn:
                check_store.insert_check(conn, row)
        except sa.exc.IntegrityError:
            return False  # uq_welfare_checks_resident_day: judged already
        return True

    # -- missed → case ----------------------------------------------------------------------------
    def _missed_without_case(self) -> list[check_store.WelfareCheck]:
        with self.db.read() as conn:
            return check_store.missed_without_case(conn)

    def open_case_for(self, check: check_store.WelfareCheck) -> str:
        """Open, file and dispatch (one transaction, idempotent by the check id) the case of a missed check to
        the primary helper, or the second if the primary cannot take it; returns the case id."""
        enrolment = self.enrolments.get(check.enrolment_id)
        with self.db.read() as conn:
            grid = org_repo.unit(conn, enrolment.grid_code)
        community = grid.parent_code if grid is not None else None
        local = lambda at: at.astimezone(self.tz).strftime("%H:%M")
        span = f"{check.day.isoformat()} {local(check.window_start)}–{local(check.window_end)}"
        label = enrolment.label or "关爱对象"
        note = (f"{label}：{span} 未签到，请上门或电话确认平安。第二帮扶人 {enrolment.second_helper or '—'}；"
                f"知会 {', '.join(enrolment.informed) or '—'}。"
                f" / {label}: no wellbeing check-in {span}; please visit or call.")
        helpers = [h for h in (enrolment.primary_helper, enrolment.second_helper) if h]
        case = self.service.open_case(check.id, self.category, grid_code=enrolment.grid_code,
                                      community_code=community, title=f"独居老人未按时签到 {label}", note=note,
                                      at=check.window_end, route_reason="welfare_enrolment", dispatch_to=helpers).case
        if case.state != "dispatched":
            log.warning("welfare: case %s for missed check %s is %s, not dispatched to %s; an operator must act",
                        case.id, check.id, case.state, helpers)
        with self.db.write() as conn:
            check_store.link_case(conn, check.id, case.id)
        return case.id

    def step(self, case_id: str, check_id: str, transition: str, **extra: Any) -> CaseRow | None:
        """One system transition keyed by the check, so repeats are no-ops; None when the rules refuse it."""
        try:
            return self.service.transition(case_id, transition, "system", origin="system",
                                           client_event_id=f"welfare:{check_id}:{transition}", **extra).case
        except IllegalTransition as refused:
            log.warning("welfare: %s of case %s refused: %s", transition, case_id, refused)
            return None

    # -- late check-ins close the loop ------------------------------------------------------------
    def _answer_late_checkins(self, now: datetime) -> int:
        since = recent_days(now, self.tz, self.catch_up_days)[0]
        with self.db.read() as conn:
            waiting = [c for c in check_store.missed_awaiting_checkin(conn, since) if c.case_id is not None]
            if not waiting:
                return 0
        # Late evidence counts until local midnight: a check-in from the window's start, an observation all day.
        spans = {c.id: Window(c.day, c.window_start, local_day_end(c.day, self.tz)) for c in waiting}
        seen = self.evidence([(c.resident_key, spans[c.id]) for c in waiting])
        answered = 0
        for check in waiting:
            late = settling(spans[check.id], seen.get((check.resident_key, check.day), []), self.tz)
            if late is None:
                continue
            try:
                self._close_loop(check, late)
                answered += 1
            except Exception:
                self.failures += 1
                log.exception("welfare: could not apply the late check-in %s to check %s", late.record_id, check.id)
        return answered

    def _close_loop(self, check: check_store.WelfareCheck, late: Evidence) -> None:
        at = late.at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        if late.kind == "checkin":
            note = (f"老人已于 {at} 在 {late.device_id} 签到（记录 {late.record_id}）。"
                    f" / The resident checked in at {at} on {late.device_id} (record {late.record_id}).")
        else:
            note = (f"{late.device_id} 于 {at} 确认平安（记录 {late.record_id}）。"
                    f" / {late.device_id} saw the resident safe at {at} (record {late.record_id}).")
        case = self.service.get(check.case_id) if check.case_id else None
        if case is not None and case.state not in ("closed", "not_filed"):
            noted = self.step(case.id, check.id, "note", note=note) or self.service.get(case.id)
            if noted is not None and noted.state == "dispatched":  # nobody has taken it up: the check-in settles it
                self.step(case.id, check.id, "auto_resolve", note=note + " 系统据补签到反馈，待核查结案。"
                           " / Resolved by the hub on this check-in; verify and close.")
        with self.db.write() as conn:
            check_store.note_late_checkin(conn, check.id, late.record_id, late.at)
