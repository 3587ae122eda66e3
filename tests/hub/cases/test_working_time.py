"""The accept window and the repeat escalation count working time on the deployment's calendar (official 2026
days from chinese-calendar, default office hours 08:30–12:00, 14:00–17:30): a night, a weekend and 春节 (15–23
Feb 2026 off, Saturday 14 Feb worked) do not count. Urgent cases are chased on wall-clock time. Injected clock,
no sleeping; SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.cases import CaseService, LevelPolicy
from hub.cases.dispatch import Dispatcher
from hub.cases.escalation import EscalationSweep
from hub.org.workdays import deployment_calendar
from hub.settings import HubSettings
from tests.hub.cases.dispatch_fixtures import (
    CATEGORIES,
    INSIDE,
    category,
    drain,
    latest,
    load_org,
    make_service,
    report,
)

SH = ZoneInfo("Asia/Shanghai")
WINDOW = timedelta(minutes=30)
EVERY = timedelta(hours=4)


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def dispatched_at(store, clock, tmp_path, when: datetime):
    """A case reported, filed and dispatched to the grid leader (智能派单) at ``when``, on the hub's calendar."""
    calendar = deployment_calendar(store, HubSettings(data_dir=tmp_path), clock)
    service = make_service(store, clock, calendar)
    dispatcher = Dispatcher(store, service)
    sweep = EscalationSweep(service, dispatcher, accept_window=WINDOW, overdue_every=EVERY)
    clock.now = when
    case_id = service.open_case_from_report(report(clock), INSIDE).case.id
    drain(dispatcher)
    assert service.get(case_id).state == "dispatched"
    return service, sweep, case_id


def walk(clock, sweep: EscalationSweep, *moments: datetime) -> list[tuple[datetime, int, list]]:
    """Sweep at each moment: (when, re-sent, escalated)."""
    seen = []
    for moment in moments:
        clock.now = moment
        result = sweep.run_once()
        seen.append((moment, result.resent, [(reason, level) for _, reason, level in result.escalated]))
    return seen


def test_dispatched_on_friday_evening_is_not_escalated_over_the_weekend(store, clock, tmp_path):
    _service, sweep, _case_id = dispatched_at(store, clock, tmp_path, sh(2, 6, 17))  # Friday 6 Feb, 17:00
    assert walk(clock, sweep, sh(2, 6, 17, 29), sh(2, 6, 17, 30), sh(2, 6, 18), sh(2, 7, 9), sh(2, 8, 12),
                sh(2, 9, 8, 59), sh(2, 9, 9)) == [
        (sh(2, 6, 17, 29), 0, []),
        (sh(2, 6, 17, 30), 1, []),  # 30 office minutes: re-sent (催办) as the office closes
        (sh(2, 6, 18), 0, []),  # on wall-clock time this was the escalation; after hours it is not
        (sh(2, 7, 9), 0, []),  # Saturday morning
        (sh(2, 8, 12), 0, []),  # Sunday
        (sh(2, 9, 8, 59), 0, []),  # Monday, 29 office minutes after the reminder
        (sh(2, 9, 9), 0, [("unaccepted", "community")])]


def test_dispatched_on_the_make_up_saturday_waits_out_the_spring_festival(store, clock, tmp_path):
    _service, sweep, case_id = dispatched_at(store, clock, tmp_path, sh(2, 14, 17))  # Sat 14 Feb: worked (调休)
    assert walk(clock, sweep, sh(2, 14, 17, 30), sh(2, 15, 9), sh(2, 17, 10), sh(2, 23, 16), sh(2, 24, 8, 59),
                sh(2, 24, 9)) == [
        (sh(2, 14, 17, 30), 1, []),  # the make-up Saturday is a working day: 30 minutes, re-sent
        (sh(2, 15, 9), 0, []), (sh(2, 17, 10), 0, []), (sh(2, 23, 16), 0, []),  # 春节: nothing moves
        (sh(2, 24, 8, 59), 0, []),
        (sh(2, 24, 9), 0, [("unaccepted", "community")])]  # Tuesday 24 Feb, 30 office minutes after the reminder
    assert latest(store, "phone-g1").why == "reminder"


def test_overdue_repeat_does_not_run_through_the_night(store, clock, tmp_path):
    service, sweep, case_id = dispatched_at(store, clock, tmp_path, sh(2, 2, 9))  # Monday 2 Feb, 09:00
    service.transition(case_id, "accept", "g1")
    assert service.get(case_id).deadline == sh(2, 2, 15)  # 4 working hours: 09:00–12:00, 14:00–15:00
    assert walk(clock, sweep, sh(2, 2, 15, 1), sh(2, 2, 19, 1), sh(2, 2, 23, 1), sh(2, 3, 3, 1), sh(2, 3, 10),
                sh(2, 3, 10, 1)) == [
        (sh(2, 2, 15, 1), 0, [("overdue", "community")]),
        # on wall-clock time these were street, district and the city
        (sh(2, 2, 19, 1), 0, []), (sh(2, 2, 23, 1), 0, []), (sh(2, 3, 3, 1), 0, []),
        (sh(2, 3, 10), 0, []),
        (sh(2, 3, 10, 1), 0, [("overdue", "street")])]  # 2 h 29 on Monday + 1 h 31 on Tuesday morning


def test_overdue_repeat_waits_out_the_spring_festival(store, clock, tmp_path):
    service, sweep, case_id = dispatched_at(store, clock, tmp_path, sh(2, 14, 9))  # the make-up Saturday, 09:00
    service.transition(case_id, "accept", "g1")
    assert service.get(case_id).deadline == sh(2, 14, 15)
    assert walk(clock, sweep, sh(2, 14, 15, 1), sh(2, 16, 10), sh(2, 20, 12), sh(2, 23, 23), sh(2, 24, 10),
                sh(2, 24, 10, 1)) == [
        (sh(2, 14, 15, 1), 0, [("overdue", "community")]),
        (sh(2, 16, 10), 0, []), (sh(2, 20, 12), 0, []), (sh(2, 23, 23), 0, []),  # 9 days of 春节: no climb to the city
        (sh(2, 24, 10), 0, []),
        (sh(2, 24, 10, 1), 0, [("overdue", "street")])]
    assert [e.reason for e in service.events(case_id) if e.transition == "escalate"] == ["overdue", "overdue"]


def test_urgent_cases_are_chased_on_wall_clock_time(store, clock, tmp_path):
    calendar = deployment_calendar(store, HubSettings(data_dir=tmp_path), clock)
    clock.now = sh(2, 6, 22)  # Friday 22:00
    load_org(store, clock)
    urgent = dataclasses.replace(category("E0201", hours=2), urgent=True)
    service = CaseService(store, clock=clock, calendar=calendar, categories=CATEGORIES | {"E0201": urgent},
                          level_policy=LevelPolicy(), urgent_notify_level="community")
    dispatcher = Dispatcher(store, service)
    sweep = EscalationSweep(service, dispatcher, accept_window=WINDOW, overdue_every=EVERY)
    case_id = service.open_case_from_report(report(clock, code="E0201"), INSIDE).case.id
    drain(dispatcher)
    case = service.get(case_id)
    assert (case.state, case.escalation_level, case.level) == ("dispatched", "community", "red")  # alarm: at once
    assert walk(clock, sweep, sh(2, 6, 22, 30), sh(2, 6, 23)) == [
        (sh(2, 6, 22, 30), 1, []),  # re-sent at night
        (sh(2, 6, 23), 0, [("unaccepted", "street")])]
    service.transition(case_id, "accept", "g1")
    deadline = service.get(case_id).deadline
    assert deadline == sh(2, 9, 10, 30)  # the time limit itself stays in working hours: Monday 10:30
    assert walk(clock, sweep, deadline + timedelta(minutes=1), deadline + EVERY,
                deadline + EVERY + timedelta(minutes=1)) == [
        (deadline + timedelta(minutes=1), 0, [("overdue", "district")]),
        (deadline + EVERY, 0, []),
        (deadline + EVERY + timedelta(minutes=1), 0, [("overdue", "city")])]  # 4 wall-clock hours, lunch included
