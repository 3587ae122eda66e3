"""Helpers' observations in the welfare watch (SQLite and PostgreSQL, injected clock): a 平安 from a phone or a
patrol settles the day like a kiosk tap, judged by device time (offline for hours, near midnight, a fast clock);
a 异常 opens a case at once; a false alarm is closed with its reason and answers the day's cases."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.repo import DeviceBinding, save_device_bindings
from hub.store.tables import welfare_observations
from hub.welfare.enrolment import EnrolmentError
from hub.welfare.observations import close_false_alarm
from hub.welfare.today import day_statuses
from protocol import HelperObservation, WatchList, encode, uplink_topic_for, uuid7
from tests.hub.welfare.test_watch import (  # noqa: F401 - the world fixture
    GRID1,
    HELPER,
    KEY_A,
    KEY_B,
    MONDAY,
    WORKER,
    case_rows,
    check_rows,
    checkin,
    enrol,
    local,
    watch_of,
    world,
)

PHONE = "phone-helper-01"
_seq = itertools.count(1)


def observe(store, clock, key: str, made_at: datetime, received_at: datetime | None = None, *,
            verdict: str = "safe", via: str = "helper", signs=("curtains",), device: str = PHONE) -> HelperObservation:
    msg = HelperObservation(id=uuid7(), device_id=device, seq=next(_seq), created_at=made_at, resident_key=key,
                            verdict=verdict, via=via, signs=list(signs), note="她说腿有点疼")
    before, clock.now = clock.now, received_at or made_at
    assert ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock.now)], store).stored_records == 1
    clock.now = before
    return msg


def bind_phone(store) -> None:
    with store.write() as conn:
        save_device_bindings(conn, [DeviceBinding(PHONE, "phone", GRID1, HELPER)])


def test_an_offline_safe_made_at_eight_and_synced_at_eight_pm_settles_the_day(world):
    store, clock, _, registry = world
    bind_phone(store)
    enrol(registry, deadline="21:00")
    enrol(registry, key=KEY_B, label="6栋1单元 独居老人B", deadline="21:00")
    watch = watch_of(world)
    clock.now = local(MONDAY, 12)
    watch.run_once()
    assert check_rows(store) == []  # before the deadline nothing is judged, no evidence yet for either
    look = observe(store, clock, KEY_A, local(MONDAY, 8), received_at=local(MONDAY, 20))  # offline until 20:00
    clock.now = local(MONDAY, 21, 11)
    result = watch.run_once()
    assert (result.observations, result.judged, result.missed, result.cases_opened) == (1, 2, 1, 1)
    rows = {r["resident_key"]: r for r in check_rows(store)}
    assert rows[KEY_A]["status"] == "checked_in" and rows[KEY_A]["checkin_record_id"] == look.id
    assert rows[KEY_B]["status"] == "missed" and rows[KEY_B]["case_id"] is not None
    [case] = case_rows(store)
    assert case["assignee"] == HELPER and case["state"] == "dispatched"
    days = {s.enrolment.resident_key: s for s in day_statuses(watch, registry.list(), MONDAY, clock.now)}
    assert days[KEY_A].settled_by == "observation" and [e.record_id for e in days[KEY_A].evidence] == [look.id]
    with store.engine.connect() as conn:
        taken = conn.execute(sa.select(welfare_observations)).one()._mapping
    assert taken["person_id"] == HELPER and taken["signs"] == ["curtains"] and taken["day"] == MONDAY
    assert watch.run_once().observations == 0  # taken once


def test_patrol_visit_and_kiosk_tap_are_evidence_too_and_the_earliest_is_listed(world):
    store, clock, _, registry = world
    enrol(registry)
    enrol(registry, key=KEY_B, label="B")
    tap = checkin(store, clock, KEY_A, local(MONDAY, 9))
    visit = observe(store, clock, KEY_A, local(MONDAY, 7, 30), via="patrol", device="tablet-fs-01")
    observe(store, clock, KEY_B, local(MONDAY, 8), via="patrol", device="tablet-fs-01")
    clock.now = local(MONDAY, 10, 11)
    watch = watch_of(world)
    assert watch.run_once().missed == 0
    rows = {r["resident_key"]: r for r in check_rows(store)}
    assert rows[KEY_A]["checkin_record_id"] == visit.id  # the earliest evidence settles
    days = {s.enrolment.resident_key: s for s in day_statuses(watch, registry.list(), MONDAY, clock.now)}
    assert [(e.kind, e.record_id) for e in days[KEY_A].evidence] == [("patrol", visit.id), ("checkin", tap.id)]
    assert days[KEY_B].settled_by == "patrol" and case_rows(store) == []


def test_midnight_and_clock_skew(world):
    store, clock, _, registry = world
    enrol(registry)
    enrol(registry, key=KEY_B, label="B")
    # A's 平安 made 23:59 on Sunday belongs to Sunday (not watched yet), not to Monday.
    observe(store, clock, KEY_A, local(MONDAY, 0) - timedelta(minutes=1))
    # B's phone clock runs a day fast: it claims Tuesday 08:00, the hub got it Monday 08:00 - Monday's evidence.
    observe(store, clock, KEY_B, local(MONDAY + timedelta(days=1), 8), received_at=local(MONDAY, 8))
    clock.now = local(MONDAY, 10, 11)
    watch_of(world).run_once()
    rows = {r["resident_key"]: r for r in check_rows(store)}
    assert rows[KEY_A]["status"] == "missed" and rows[KEY_B]["status"] == "checked_in"
    with store.engine.connect() as conn:
        days = dict(conn.execute(sa.select(welfare_observations.c.resident_key, welfare_observations.c.day)).all())
    assert days == {KEY_A: MONDAY - timedelta(days=1), KEY_B: MONDAY}


def test_a_late_safe_answers_the_missed_case(world):
    store, clock, service, registry = world
    enrol(registry)
    clock.now = local(MONDAY, 10, 11)
    watch = watch_of(world)
    watch.run_once()
    [check] = check_rows(store)
    late = observe(store, clock, KEY_A, local(MONDAY, 11))  # the helper looks in at 11:00
    clock.now = local(MONDAY, 11, 5)
    assert watch.run_once().late_answered == 1
    assert service.get(check["case_id"]).state == "resolved"
    assert check_rows(store)[0]["late_record_id"] == late.id


def test_abnormal_opens_a_case_at_once_and_a_false_alarm_closes_it(world):
    store, clock, service, registry = world
    bind_phone(store)
    e = enrol(registry, deadline="20:00")
    bad = observe(store, clock, KEY_A, local(MONDAY, 8), verdict="abnormal", signs=("curtains", "lights"))
    clock.now = local(MONDAY, 8, 1)
    watch = watch_of(world)
    result = watch.run_once()
    assert result.abnormal_cases == 1 and check_rows(store) == []  # at once, long before the deadline
    [case] = case_rows(store)
    assert case["source_record_id"] == bad.id and case["assignee"] == WORKER  # the grid worker goes
    assert "窗帘、灯光" in case["note"] and "腿" not in case["note"]  # the helper's words stay private
    assert watch.run_once().abnormal_cases == 0
    [day] = day_statuses(watch, [registry.get(e.id)], MONDAY, clock.now)
    assert day.status == "abnormal" and day.case_id == case["id"]

    alarm = close_false_alarm(watch, e.id, MONDAY, WORKER, "在女儿家小住 / at her daughter's",
                              away_until=MONDAY + timedelta(days=3))
    assert alarm.case_ids == [case["id"]]
    assert service.get(case["id"]).state == "resolved"
    [day] = day_statuses(watch, [registry.get(e.id)], MONDAY, clock.now)
    assert day.status == "paused" and day.false_alarm["reason"].startswith("在女儿家")
    assert registry.get(e.id).paused_until == date(2024, 6, 6)


def test_an_observation_of_a_resident_nobody_enrolled_counts_for_nothing(world):
    store, clock, _, registry = world
    observe(store, clock, "c" * 64, local(MONDAY, 8), verdict="abnormal")
    clock.now = local(MONDAY, 8, 1)
    result = watch_of(world).run_once()
    assert (result.observations, result.abnormal_cases) == (1, 0) and case_rows(store) == []


def test_todays_lists_go_to_the_helpers_phones_and_the_grids_tablets_once(world):
    store, clock, _, registry = world
    bind_phone(store)
    enrol(registry)
    enrol(registry, key=KEY_B, label="B", weekdays=[6, 7])  # not due on Monday: on nobody's list
    clock.now = local(MONDAY, 6)
    watch = watch_of(world)
    assert watch.run_once().watchlists >= 2
    assert watch.run_once().watchlists == 0  # unchanged lists are not sent again
    with store.engine.connect() as conn:
        sent = conn.execute(sa.text("SELECT device_id, body FROM downlinks WHERE kind = 'watchlist'")).all()
    lists = {device: WatchList.model_validate_json(body) for device, body in sent}
    assert {i.resident_key for i in lists[PHONE].items} == {KEY_A} and lists[PHONE].items[0].role == "primary"
    assert lists["tablet-fs-01"].items[0].role == "patrol" and lists[PHONE].day == MONDAY


def test_only_staff_close_a_false_alarm(world):
    store, clock, _, registry = world
    e = enrol(registry)
    with pytest.raises(EnrolmentError):
        close_false_alarm(watch_of(world), e.id, MONDAY, HELPER, "我自己关掉")  # the volunteer helper is not staff
    with pytest.raises(EnrolmentError):
        close_false_alarm(watch_of(world), e.id, MONDAY, WORKER, "   ")  # a reason is required
