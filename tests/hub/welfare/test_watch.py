"""The welfare watch (1+1+N) on SQLite and PostgreSQL with an injected clock: a missed daily check-in
becomes exactly one case dispatched to the paired helper; on-time, paused and off days stay quiet; late
check-ins close the loop; windows are local time in the deployment's zone."""
from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hub import sample
from hub.cases import CaseService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy
from hub.store import create_hub_engine
from hub.store.migrate import alembic_config
from hub.store.tables import cases, metadata, people, welfare_checks
from hub.welfare import EnrolmentRegistry, EnrolmentSpec, WelfareWatch, load_sample_enrolments
from protocol import ResidentCheckin, encode, uplink_topic_for, uuid7

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
MONDAY = date(2024, 6, 3)
GRID1 = "440402004005001"
HELPER, WORKER, LEADER = "p-patrol-01", "p-worker-01", "p-lead-01"
KEY_A, KEY_B = "a" * 64, "b" * 64
_seq = itertools.count(1)


def local(day: date, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(day, time(hh, mm), tz).astimezone(UTC)


def checkin(store, clock, key: str, made_at: datetime, received_at: datetime | None = None,
            kind: str = "wellbeing", device: str = "kiosk-fs-01") -> ResidentCheckin:
    """A kiosk's check-in taken in through the real ingest path, received at ``received_at``."""
    msg = ResidentCheckin(id=uuid7(), device_id=device, seq=next(_seq), created_at=made_at, checkin_kind=kind,
                          resident_key=key)
    before, clock.now = clock.now, received_at or made_at
    assert ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock.now)], store).stored_records == 1
    clock.now = before
    return msg


@pytest.fixture
def world(store, clock):
    clock.now = local(MONDAY - timedelta(days=1), 12)  # enrolled on Sunday noon
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    service = CaseService(store, clock=clock)
    return store, clock, service, EnrolmentRegistry(store, clock=clock)


def watch_of(world, **kw) -> WelfareWatch:
    store, clock, service, _ = world
    return WelfareWatch(store, service, clock=clock, grace=timedelta(minutes=10), **kw)


def enrol(registry, key=KEY_A, **kw):
    spec = {
        "resident_key": key,
        "grid_code": GRID1,
        "window_start": "07:00",
        "window_end": "10:00",
        "primary_helper": HELPER,
        "label": "3栋2单元 独居老人A",
        "informed": [LEADER],
    } | kw
    return registry.enrol(EnrolmentSpec(**spec), actor=WORKER)


def check_rows(store):
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(welfare_checks).order_by(welfare_checks.c.day))]


def case_rows(store):
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(cases))]


def test_on_time_checkin_opens_no_case(world):
    store, clock, service, registry = world
    enrolled = enrol(registry)
    assert enrolled.second_helper == WORKER  # the grid's worker by default: the second "1"
    made = checkin(store, clock, KEY_A, local(MONDAY, 8, 15))
    clock.now = local(MONDAY, 10, 5)
    assert watch_of(world).run_once().judged == 0  # window closed, grace not over: not judged yet
    clock.now = local(MONDAY, 10, 11)
    result = watch_of(world).run_once()
    assert (result.judged, result.missed) == (1, 0)
    [row] = check_rows(store)
    assert row["status"] == "checked_in" and row["day"] == MONDAY and row["checkin_record_id"] == made.id
    assert row["checkin_at"] == made.created_at and case_rows(store) == []
    assert watch_of(world).run_once().judged == 0 and len(check_rows(store)) == 1


def test_missed_opens_exactly_one_case_dispatched_to_the_helper(world):
    store, clock, service, registry = world
    enrol(registry)
    enrol(registry, key=KEY_B, label="6栋1单元 独居老人B")
    checkin(store, clock, KEY_B, local(MONDAY, 9, 0))
    checkin(store, clock, KEY_A, local(MONDAY, 6, 30))  # before the window: does not count
    checkin(store, clock, KEY_A, local(MONDAY, 8, 0), kind="service_legal")  # not a wellbeing check-in
    clock.now = local(MONDAY, 10, 11)
    first, second = watch_of(world), watch_of(world)  # two hub workers
    barrier = threading.Barrier(2)

    def race(watch):
        barrier.wait()
        watch.run_once()

    threads = [threading.Thread(target=race, args=(w,)) for w in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    first.run_once()
    clock.advance(600)
    second.run_once()
    rows = {r["resident_key"]: r for r in check_rows(store)}
    assert len(check_rows(store)) == 2 and rows[KEY_B]["status"] == "checked_in"
    missed = rows[KEY_A]
    assert missed["status"] == "missed" and missed["case_id"] is not None
    [case] = case_rows(store)
    assert case["id"] == missed["case_id"] and case["source_record_id"] == missed["id"]
    assert (case["category_code"], case["grid_code"], case["community_code"]) == ("E0703", GRID1, "440402004005")
    assert case["state"] == "dispatched" and case["assignee"] == HELPER and case["deadline"] is not None
    assert "独居老人A" in case["title"] and KEY_A not in case["note"]
    trail = service.events(case["id"])
    assert [(e.transition, e.actor, e.assignee) for e in trail] == [
        ("report", "system", None),
        ("file", "system", None),
        ("dispatch", "system", HELPER),
    ]
    assert service.replay(case["id"]) == service.get(case["id"]).machine_state
    assert first.failures == second.failures == 0


def test_helper_who_cannot_take_tasks_falls_back_to_the_grid_worker(world):
    store, clock, service, registry = world
    enrol(registry)
    with store.write() as conn:  # the volunteer became office staff after enrolling
        conn.execute(sa.update(people).where(people.c.id == HELPER).values(role="supervisor"))
    clock.now = local(MONDAY, 11)
    watch_of(world).run_once()
    [case] = case_rows(store)
    assert case["state"] == "dispatched" and case["assignee"] == WORKER


def test_paused_resident_is_not_watched_and_resume_starts_afresh(world):
    store, clock, service, registry = world
    enrolled = enrol(registry)
    registry.pause(enrolled.id, WORKER, "住院 / in hospital")
    clock.now = local(MONDAY, 11)
    watch = watch_of(world)
    assert watch.run_once().judged == 0
    registry.resume(enrolled.id, WORKER)  # Monday 11:00: Monday's window was not watched
    clock.now = local(MONDAY, 23)
    assert watch.run_once().judged == 0
    clock.now = local(MONDAY + timedelta(days=1), 10, 30)
    assert watch.run_once().missed == 1 and len(case_rows(store)) == 1
    # A pause with an end date: quiet through Thursday, watched again on Friday.
    registry.pause(enrolled.id, WORKER, "随子女外出 / away with family", until=MONDAY + timedelta(days=3))
    for days in (2, 3):
        clock.now = local(MONDAY + timedelta(days=days), 12)
        assert watch.run_once().judged == 0
    clock.now = local(MONDAY + timedelta(days=4), 12)
    assert watch.run_once().missed == 1
    assert [r["day"].isoformat() for r in check_rows(store)] == ["2024-06-04", "2024-06-07"]


def test_only_expected_weekdays_are_judged(world):
    store, clock, service, registry = world
    enrol(registry, weekdays=[1, 2, 3, 4, 5])  # Monday–Friday
    watch = watch_of(world, catch_up_days=0)
    for days in range(7):  # Monday 2024-06-03 … Sunday 2024-06-09, nobody checks in
        clock.now = local(MONDAY + timedelta(days=days), 12)
        watch.run_once()
    days = [r["day"].isoweekday() for r in check_rows(store)]
    assert days == [1, 2, 3, 4, 5] and len(case_rows(store)) == 5


def test_checkin_made_in_window_but_received_after_the_verdict_resolves_the_case(world):
    store, clock, service, registry = world
    enrol(registry)
    clock.now = local(MONDAY, 10, 11)
    watch = watch_of(world)
    watch.run_once()
    [case] = case_rows(store)
    assert case["state"] == "dispatched"
    # The kiosk was offline: the 09:50 check-in reaches the hub at 11:00.
    late = checkin(store, clock, KEY_A, local(MONDAY, 9, 50), received_at=local(MONDAY, 11))
    clock.now = local(MONDAY, 11, 1)
    assert watch.run_once().late_answered == 1
    after = service.get(case["id"])
    assert after.state == "resolved" and after.resolver == "system" and after.assignee == HELPER
    trail = service.events(case["id"])
    assert [e.transition for e in trail][-2:] == ["note", "auto_resolve"]
    assert late.id in trail[-1].note and late.id in trail[-2].note
    [row] = check_rows(store)
    assert row["status"] == "missed" and row["late_record_id"] == late.id and row["late_at"] == late.created_at
    assert watch.run_once().late_answered == 0 and len(service.events(case["id"])) == len(trail)
    assert service.replay(case["id"]) == after.machine_state
    # A person verifies and closes it; system, the resolver, may not verify its own work.
    service.transition(case["id"], "verify", LEADER)
    assert service.transition(case["id"], "close", LEADER).case.state == "closed"


def test_checkin_that_arrives_before_the_verdict_counts_however_late_it_was_sent(world):
    store, clock, service, registry = world
    enrol(registry)
    checkin(store, clock, KEY_A, local(MONDAY, 9, 58), received_at=local(MONDAY, 10, 4))
    clock.now = local(MONDAY, 10, 11)
    watch_of(world).run_once()
    assert [r["status"] for r in check_rows(store)] == ["checked_in"] and case_rows(store) == []


def test_late_checkin_after_acceptance_only_adds_a_note(world):
    store, clock, service, registry = world
    enrol(registry)
    clock.now = local(MONDAY, 10, 11)
    watch = watch_of(world)
    watch.run_once()
    [case] = case_rows(store)
    service.transition(case["id"], "accept", HELPER)
    checkin(store, clock, KEY_A, local(MONDAY, 13))  # really late, same day
    checkin(store, clock, KEY_A, local(MONDAY + timedelta(days=1), 0, 30))  # next day: not this day's answer
    clock.now = local(MONDAY, 13, 1)
    assert watch.run_once().late_answered == 1
    after = service.get(case["id"])
    assert after.state == "accepted" and service.events(case["id"])[-1].transition == "note"


def test_window_is_local_time_across_utc_midnight(world):
    """Shanghai 07:00–10:00 is 23:00–02:00 UTC of the day before: the local day names the check."""
    store, clock, service, registry = world
    enrol(registry)
    made = checkin(store, clock, KEY_A, datetime(2024, 6, 2, 23, 30, tzinfo=UTC))  # Mon 07:30 SH
    clock.now = datetime(2024, 6, 3, 2, 11, tzinfo=UTC)  # Mon 10:11 SH
    watch_of(world).run_once()
    [row] = check_rows(store)
    assert row["day"] == MONDAY and row["status"] == "checked_in" and row["checkin_record_id"] == made.id
    assert row["window_start"] == datetime(2024, 6, 2, 23, 0, tzinfo=UTC)


def test_window_follows_daylight_saving_in_the_deployment_zone(world):
    """New York springs forward on 2024-03-10: 07:00 local is 12:00 UTC the day before, 11:00 UTC that day."""
    store, clock, service, registry = world
    saturday, sunday = date(2024, 3, 9), date(2024, 3, 10)
    clock.now = local(saturday, 0, 0, NY)
    enrol(registry)
    checkin(store, clock, KEY_A, datetime(2024, 3, 9, 11, 30, tzinfo=UTC))  # Sat 06:30 EST: too early
    checkin(store, clock, KEY_A, datetime(2024, 3, 10, 11, 30, tzinfo=UTC))  # Sun 07:30 EDT: in time
    watch = watch_of(world, tz="America/New_York")
    clock.now = local(sunday, 12, 0, NY)
    watch.run_once()
    rows = {r["day"]: r for r in check_rows(store)}
    assert rows[saturday]["status"] == "missed" and rows[sunday]["status"] == "checked_in"
    assert rows[sunday]["window_start"] == datetime(2024, 3, 10, 11, 0, tzinfo=UTC)


def test_sample_enrolments_load_once(world):
    store, clock, service, registry = world
    assert load_sample_enrolments(store, clock=clock) == 4
    assert load_sample_enrolments(store, clock=clock) == 0
    assert {e.grid_code for e in registry.list(under="440402004005")} == {GRID1, "440402004005002", "440402004005005"}


WELFARE_TABLES = {"welfare_enrolments", "welfare_checks"}


def test_migration_matches_tables_and_downgrades(store):
    engine = create_hub_engine(store.db_url)

    def welfare_only(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in WELFARE_TABLES

    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": welfare_only})
            diffs = compare_metadata(ctx, metadata)
        assert [d for d in diffs if not (isinstance(d, list) and d[0][0] == "modify_comment")] == []
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0004")
        assert not WELFARE_TABLES & set(sa.inspect(engine).get_table_names())
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert WELFARE_TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
