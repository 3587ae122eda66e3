"""Mainland China's official working days: public holidays and 调休 make-up working days as published by the State
Council each year, from the ``chinese-calendar`` package, for the :class:`hub.org.calendar.WorkCalendar` that every
case deadline, accept window and escalation repeat is counted on.

The package covers the years the State Council has published (usually announced in November for the next year);
a year it does not cover has no holidays, so a deadline would run through 春节: the hub warns at start when next
year is missing (and an admin adds the days by hand, or upgrades the package).
"""
from __future__ import annotations

from datetime import date
from functools import cache

import chinese_calendar


@cache
def official_holidays() -> frozenset[date]:
    """Days off by law (weekend days inside a holiday span included: they change nothing)."""
    return frozenset(chinese_calendar.holidays)


@cache
def official_workdays() -> frozenset[date]:
    """Weekend days that are worked (调休 make-up days)."""
    return frozenset(chinese_calendar.workdays)


def covered_years() -> frozenset[int]:
    """Years whose holidays the package knows (a year with at least one listed holiday)."""
    return frozenset(day.year for day in official_holidays())


def uncovered(years: set[int] | frozenset[int]) -> list[int]:
    """Which of ``years`` the package does not cover, ascending."""
    return sorted(set(years) - covered_years())
