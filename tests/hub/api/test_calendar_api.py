"""The working calendar over HTTP (SQLite and PostgreSQL), on 4 Dec 2026 with chinese-calendar covering up to
2026: a year's official and local days with the office hours; a local day entered by a top-level admin changes
the next deadline the hub computes (not the ones already stored) and, removed, stops changing it; who may change
it; the access log; the calendar job reloading a change made elsewhere; and the health warning for 2027."""
from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub import sample
from hub.app import create_app
from hub.cases.rows import CaseRow
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people
from hub.org.workdays import DeploymentCalendar, set_local_day
from hub.settings import HubSettings
from hub.store.tables import access_log
from tests.hub.cases.dispatch_fixtures import INSIDE, far_lon, report

SH = ZoneInfo("Asia/Shanghai")
CITY, COMMUNITY = "440400", "440402004005"


def sh(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


@pytest.fixture
def client(store, clock, tmp_path, sign_in):
    clock.now = sh(12, 4, 10)  # Friday 4 December 2026
    load_community(store, sample.load_raw(), clock=clock)
    with store.write() as conn:
        save_people(conn, [Person("d1", "社区调度员", "dispatcher", COMMUNITY)])
    app = create_app(HubSettings(data_dir=tmp_path / "data", auto_dispatch=False), store=store, start_bridge=False,
                     clock=clock)
    with TestClient(app) as test_client:
        sign_in(test_client, store, role="admin", scope=CITY, username="city-admin")
        yield test_client


def filed(client, clock, at: datetime) -> CaseRow:
    """File a 1-working-day case (E0201 非法小广告) at ``at`` through the hub's own CaseService."""
    service = client.app.state.case_service
    clock.now = at
    case_id = service.open_case_from_report(report(clock, code="E0201", lon=far_lon()), INSIDE).case.id
    return service.transition(case_id, "file", "d1").case


def test_a_year_of_official_days_with_the_office_hours(client):
    body = client.get("/api/calendar").json()  # this year by default
    assert (body["year"], body["official"], body["covered"], body["warning"]) == (2026, True, True, None)
    assert (body["time_zone"], body["weekdays"], body["working_day_hours"]) == ("Asia/Shanghai", [1, 2, 3, 4, 5], 7.0)
    assert body["office_hours"] == [{"start": "08:30", "end": "12:00"}, {"start": "14:00", "end": "17:30"}]
    assert [d["day"] for d in body["workdays"]] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                                   "2026-09-20", "2026-10-10"]
    spring = [d for d in body["holidays"] if d["name_en"] == "Spring Festival"]
    assert [d["day"] for d in spring] == [f"2026-02-{n}" for n in range(15, 24)]
    assert spring[0] == {"day": "2026-02-15", "kind": "holiday", "source": "official", "official_kind": "holiday",
                         "name_zh": "春节", "name_en": "Spring Festival", "note": "", "updated_by": None,
                         "updated_at": None}
    uncovered = client.get("/api/calendar", params={"year": 2027}).json()
    assert (uncovered["official"], uncovered["covered"], uncovered["holidays"]) == (False, False, [])
    assert "2027" in uncovered["warning"] and "chinese-calendar" in uncovered["warning"]


def test_a_local_day_changes_the_next_deadline(client, clock, store):
    # Friday 16:00 + 1 working day: 1.5 h on Friday, 5.5 h on Monday 7 Dec → Monday 16:00.
    first = filed(client, clock, sh(12, 4, 16))
    assert first.deadline == sh(12, 7, 16)
    put = client.put("/api/calendar/days/2026-12-07", json={"kind": "holiday", "note": "台风停工"})
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in ("day", "kind", "source", "official_kind", "note", "updated_by")} == {
        "day": "2026-12-07", "kind": "holiday", "source": "local", "official_kind": None, "note": "台风停工",
        "updated_by": "city-admin"}
    assert filed(client, clock, sh(12, 4, 16, 1)).deadline == sh(12, 8, 16, 1)  # Monday is off now: Tuesday
    assert client.app.state.case_service.get(first.id).deadline == sh(12, 7, 16)  # stored deadlines stay
    listed = client.get("/api/calendar", params={"year": 2026}).json()["holidays"]
    assert [d["day"] for d in listed if d["source"] == "local"] == ["2026-12-07"]
    # A make-up day cancelled locally, an official day off worked locally (kind says what counts now).
    assert client.put("/api/calendar/days/2026-10-10", json={"kind": "holiday"}).json()["official_kind"] == "workday"
    assert client.put("/api/calendar/days/2026-10-01", json={"kind": "workday"}).json()["kind"] == "workday"
    assert client.delete("/api/calendar/days/2026-12-07").status_code == 204
    assert client.delete("/api/calendar/days/2026-12-07").status_code == 404
    assert filed(client, clock, sh(12, 4, 16, 2)).deadline == sh(12, 7, 16, 2)  # back on Monday
    with store.read() as conn:
        logged = [(r.method, r.route, r.resource_ids.get("day"), r.status) for r in conn.execute(
            sa.select(access_log).where(access_log.c.route.like("/api/calendar/days%")).order_by(access_log.c.id))]
    assert logged[0] == ("PUT", "/api/calendar/days/{day}", "2026-12-07", 200)
    assert logged[-2:] == [("DELETE", "/api/calendar/days/{day}", "2026-12-07", 204),
                           ("DELETE", "/api/calendar/days/{day}", "2026-12-07", 404)]


def test_only_a_top_level_admin_changes_the_calendar(client, store, sign_in):
    community_admin = sign_in(client, store, role="admin", scope=COMMUNITY, set_default=False)
    dispatcher = sign_in(client, store, role="dispatcher", scope=CITY, set_default=False)
    for token, status in ((community_admin, 403), (dispatcher, 403)):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.put("/api/calendar/days/2027-02-08", json={"kind": "holiday"}, headers=headers).status_code \
            == status
    refused = client.put("/api/calendar/days/2027-02-08", json={"kind": "holiday"},
                         headers={"Authorization": f"Bearer {community_admin}"}).json()["detail"]
    assert refused["code"] == "not_top"
    assert client.get("/api/calendar", headers={"Authorization": f"Bearer {dispatcher}"}).status_code == 403
    assert client.put("/api/calendar/days/2027-02-08", json={"kind": "weekend"}).status_code == 422
    assert client.put("/api/calendar/days/2027-02-30", json={"kind": "holiday"}).status_code == 422
    assert client.put("/api/calendar/days/1999-02-08", json={"kind": "holiday"}).status_code == 422
    assert client.put("/api/calendar/days/2027-02-08", json={"kind": "holiday", "x": 1}).status_code == 422
    assert client.get("/api/calendar", params={"year": 1999}).status_code == 422


def test_health_warns_until_next_year_is_entered(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok"  # a warning, not a failure
    assert health["calendar"]["missing"] == [2027] and 2026 in health["calendar"]["covered_years"]
    assert "2027" in health["calendar"]["warning"] and "PUT /api/calendar/days/" in health["calendar"]["warning"]
    for day in ("2027-02-06", "2027-02-07", "2027-02-08"):
        entered = client.put(f"/api/calendar/days/{day}", json={"kind": "holiday", "note": "2027年春节"})
        assert entered.status_code == 200
    health = client.get("/api/health").json()["calendar"]
    assert (health["missing"], health["local_years"], health["warning"]) == ([], [2027], None)


def test_the_calendar_job_reloads_a_change_made_on_another_worker(client, store, clock):
    calendar = client.app.state.calendar
    assert isinstance(calendar, DeploymentCalendar) and calendar is client.app.state.case_service.calendar
    job = next(j for j in client.app.state.jobs.jobs if j.name == "calendar")
    assert calendar.is_workday(date(2026, 12, 9))
    set_local_day(store, date(2026, 12, 9), "holiday", "", "other-worker-admin", clock())  # written elsewhere
    job.bell.ring_here()  # what the PostgreSQL relay does on this worker for the other worker's ring
    until = time.monotonic() + 10
    while calendar.is_workday(date(2026, 12, 9)) and time.monotonic() < until:
        time.sleep(0.05)
    assert not calendar.is_workday(date(2026, 12, 9))


def test_the_hub_warns_at_start_when_next_year_is_not_covered(client, caplog):
    warned = [r.getMessage() for r in caplog.get_records("setup")
              if r.name == "hub.org.workdays" and r.levelno == logging.WARNING]
    assert len(warned) == 1  # at start; the calendar job's first pass does not repeat it
    assert "2027" in warned[0] and "pip install -U chinese-calendar" in warned[0] and "/api/calendar/days/" in warned[0]
