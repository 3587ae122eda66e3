"""Deadlines (办结时限) and the three-colour level (蓝/黄/红) from the share of the time limit used.

The clock runs on the WorkCalendar's office hours from filing, stopped during suspensions (挂起): nights,
weekends, public holidays (春节...) do not count, 调休 make-up days do. The hub's calendar is the deployment's
(:func:`hub.org.workdays.deployment_calendar`), for every case, urgent ones included: urgency shows in the
immediate alarm and wall-clock chasing (hub/cases/escalation.py), not in a shorter-counted time limit.
Levels only go up while a case is open: a duplicate report or elapsed time may raise it, nothing lowers it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.cases.rows import CaseEvent
from hub.org.calendar import Suspension, WorkCalendar
from hub.org.taxonomy import Category

LEVELS = ("blue", "yellow", "red")


@dataclass(frozen=True)
class LevelPolicy:
    yellow_at: float = 0.5  # share of the time limit used
    red_at: float = 0.8

    def __post_init__(self):
        if not 0 < self.yellow_at <= self.red_at <= 1:
            raise ValueError("need 0 < yellow_at <= red_at <= 1")


def raise_level(level: str, to: str) -> str:
    return max(level, to, key=LEVELS.index)


def bump_level(level: str) -> str:
    return LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]


def time_limit(category: Category, calendar: WorkCalendar) -> timedelta:
    if category.time_limit_unit == "working_hours":
        return timedelta(hours=category.time_limit_value)
    return calendar.day_length * category.time_limit_value


def suspensions(events: Iterable[CaseEvent]) -> list[Suspension]:
    """(suspended at, resumed at or None) spans from a case's applied events, in trail order."""
    spans: list[Suspension] = []
    for event in events:
        if event.outcome != "applied":
            continue
        if event.transition == "suspend":
            spans.append((event.at, None))
        elif event.transition == "resume" and spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], max(event.at, spans[-1][0] + timedelta(microseconds=1)))
    return spans


def deadline(category: Category, calendar: WorkCalendar, filed_at: datetime | None,
             spans: list[Suspension]) -> datetime | None:
    """The case's deadline (办结时限): ``filed_at`` plus the category's time limit counted in the calendar's
    working time, the clock stopped during suspensions. None before filing and while an open suspension stops
    the clock short of the limit.

    This is where every case deadline is computed. :class:`hub.cases.service.CaseService` stores it on the case
    at filing and on suspend/resume; :mod:`hub.cases.escalation` escalates a live case once it is past it (and
    again every ``overdue_every`` of working time); :func:`level_for` colours the case by the share of it used."""
    if filed_at is None:
        return None
    unit = "hours" if category.time_limit_unit == "working_hours" else "days"
    return calendar.deadline_with_suspensions(filed_at, suspensions=spans, **{unit: category.time_limit_value})


def level_for(category: Category | None, calendar: WorkCalendar, policy: LevelPolicy, *, current: str,
              filed_at: datetime | None, deadline_at: datetime | None, spans: list[Suspension],
              now: datetime) -> str:
    if category is not None and category.urgent:
        return "red"
    if category is None or filed_at is None:
        return current
    if deadline_at is not None and now > deadline_at:
        return "red"
    used = calendar.working_time_between(filed_at, now, spans) / time_limit(category, calendar)
    computed = "red" if used >= policy.red_at else "yellow" if used >= policy.yellow_at else "blue"
    return raise_level(current, computed)
