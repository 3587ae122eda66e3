"""Evaluation KPIs on SQLite and PostgreSQL: a seeded week of cases driven by an injected clock, exact
figures out (counts, 结案率 / 按期结案率 / 返工率 with their denominators, mean times, overdue now), and the
same figures over the API as JSON and as Excel-ready CSV."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.cases import CaseService
from hub.cases.kpis import KpiError, compute_kpis
from hub.org.repo import Person, Unit, save_people, save_units
from hub.org.routing import RouteResult
from hub.org.taxonomy import Category, install_taxonomy
from hub.settings import HubSettings
from hub.store.rows import RecordRow
from protocol import uuid7

SH = ZoneInfo("Asia/Shanghai")
MON = datetime(2024, 6, 3, tzinfo=SH)  # the evaluated week: [Mon 3 June, Mon 10 June) Beijing time
WEEK = (MON, MON + timedelta(days=7))
NOW = MON + timedelta(days=2, hours=9)  # Wed 09:00: the overdue snapshot
PHOTO = "cd" * 32
STREET, OTHER_STREET = "440402004", "440402005"
COMM_A, COMM_B = "440402004005", "440402004006"
GRID_1, GRID_2, GRID_B = "440402004005001", "440402004005002", "440402004006001"
GRID_OTHER = "440402005001001"


def at(day: int, hhmm: str, base: datetime = MON) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return base + timedelta(days=day, hours=h, minutes=m)


def seed_org(store, clock) -> None:
    hierarchy = [Unit("440400", "city", "珠海市"), Unit("440402", "district", "香洲区", "440400"),
                 Unit(STREET, "street", "前山街道", "440402"), Unit(OTHER_STREET, "street", "拱北街道", "440402"),
                 Unit(COMM_A, "community", "福石社区", STREET), Unit(COMM_B, "community", "翠微社区", STREET),
                 Unit("440402005001", "community", "拱北社区", OTHER_STREET),
                 Unit(GRID_1, "grid", "福石一网格", COMM_A), Unit(GRID_2, "grid", "福石二网格", COMM_A),
                 Unit(GRID_B, "grid", "翠微一网格", COMM_B), Unit(GRID_OTHER, "grid", "拱北一网格", "440402005001")]
    staff = [Person("d1", "调度员", "dispatcher", COMM_A), Person("s1", "督查员", "supervisor", COMM_A),
             Person("h1", "处置员甲", "handler", COMM_A), Person("h2", "处置员乙", "handler", COMM_A)]
    with store.write() as conn:
        save_units(conn, hierarchy, clock())
        save_people(conn, staff)
    install_taxonomy(store, [
        Category("E0101", "event", "01", "01", "道路破损", "road damage", "", "", 4, "working_hours"),
        Category("E0102", "event", "01", "02", "占道经营", "street vending", "", "", 8, "working_hours")])


def report(clock, code: str, lat: float) -> RecordRow:
    body = json.dumps({"category": code, "note": "测试", "position": {"lat": lat, "lon": 113.52, "accuracy_m": 5.0},
                       "photos": [{"sha256": PHOTO}]})
    return RecordRow(uuid7(), "kiosk-kpi", 1, "report", body, hashlib.sha256(body.encode()).hexdigest(),
                     clock(), clock())


RESOLVE = {"note": "已处置", "evidence": [PHOTO], "position": (22.25, 113.52, 5.0)}


class History:
    """Drives cases through the loop at given (Beijing) times via the injected clock."""

    def __init__(self, svc: CaseService, clock):
        self.svc, self.clock, self.lat = svc, clock, 22.20

    def open(self, when: datetime, code: str, grid: str | None, community: str) -> str:
        self.clock.now = when.astimezone(UTC)
        self.lat += 0.002  # ~220 m apart: never a duplicate of the previous case
        route = RouteResult(grid, community, 1.0, grid is None, "inside" if grid else "community_fallback")
        return self.svc.open_case_from_report(report(self.clock, code, self.lat), route).case.id

    def do(self, case_id: str, when: datetime, transition: str, actor: str, **extra) -> None:
        self.clock.now = when.astimezone(UTC)
        self.svc.transition(case_id, transition, actor, **extra)


def seed_week(store, clock) -> dict[str, str]:
    """Seven cases; expected figures are worked out by hand in the tests below."""
    seed_org(store, clock)
    svc = CaseService(store, clock=clock)
    h = History(svc, clock)
    ids = {}
    # E: filed the week before, closed late inside the week -> 'closed' but not in the cohort.
    ids["E"] = e = h.open(at(-7, "09:00"), "E0101", GRID_2, COMM_A)
    for when, t, who, extra in [("09:00", "file", "d1", {}), ("09:05", "dispatch", "d1", {"assignee": "h2"}),
                                ("09:10", "accept", "h2", {}), ("09:20", "arrive", "h2", {}),
                                ("09:30", "resolve", "h2", RESOLVE)]:
        h.do(e, at(-7, when), t, who, **extra)
    h.do(e, at(0, "08:40"), "verify", "s1")
    h.do(e, at(0, "08:50"), "close", "s1")
    # A: grid 1, on time (deadline Mon 15:00), accept 20 min, resolve 60 min after dispatch.
    ids["A"] = a = h.open(at(0, "09:00"), "E0101", GRID_1, COMM_A)
    for when, t, who, extra in [("09:00", "file", "d1", {}), ("09:10", "dispatch", "d1", {"assignee": "h1"}),
                                ("09:30", "accept", "h1", {}), ("09:40", "arrive", "h1", {}),
                                ("10:10", "resolve", "h1", RESOLVE), ("10:20", "verify", "s1", {}),
                                ("10:30", "close", "s1", {})]:
        h.do(a, at(0, when), t, who, **extra)
    # B: grid 1, reworked, closed late: accept 10 min; last resolve 7 h after dispatch.
    ids["B"] = b = h.open(at(0, "09:00"), "E0101", GRID_1, COMM_A)
    for when, t, who, extra in [
        ("09:00", "file", "d1", {}),
        ("09:10", "dispatch", "d1", {"assignee": "h2"}),
        ("09:20", "accept", "h2", {}),
        ("09:30", "arrive", "h2", {}),
        ("10:00", "resolve", "h2", RESOLVE),
        ("10:30", "rework", "s1", {"reason": "未清理干净"}),
        ("11:00", "accept", "h2", {}),
        ("11:10", "arrive", "h2", {}),
        ("16:10", "resolve", "h2", RESOLVE),
        ("16:20", "verify", "s1", {}),
        ("16:30", "close", "s1", {}),
    ]:
        h.do(b, at(0, when), t, who, **extra)
    # C: grid 2, 8 working hours (deadline Tue 10:00), accepted after 1 h, still open -> overdue on Wed.
    ids["C"] = c = h.open(at(0, "09:00"), "E0102", GRID_2, COMM_A)
    h.do(c, at(0, "09:00"), "file", "d1")
    h.do(c, at(0, "09:10"), "dispatch", "d1", assignee="h1")
    h.do(c, at(0, "10:10"), "accept", "h1")
    # D: community B, not filed (reported only). F: community B, filed then suspended -> clock stopped.
    ids["D"] = d = h.open(at(1, "10:00"), "E0101", GRID_B, COMM_B)
    h.do(d, at(1, "10:05"), "not_file", "d1", reason="不属于受理范围")
    ids["F"] = f = h.open(at(1, "10:00"), "E0102", GRID_B, COMM_B)
    h.do(f, at(1, "10:10"), "file", "d1")
    h.do(f, at(1, "10:20"), "suspend", "d1", reason="等待产权单位确认")
    # G: outside every grid, fell to community A (属地兜底); filed, never dispatched -> overdue on Wed.
    ids["G"] = g = h.open(at(0, "09:00"), "E0101", None, COMM_A)
    h.do(g, at(0, "09:00"), "file", "d1")
    clock.now = NOW.astimezone(UTC)
    return ids


@pytest.fixture
def week(store, clock):
    return seed_week(store, clock)


def by_key(report):
    return {r.key: r for r in report.rows}


def test_per_grid_exact_figures(store, clock, week):
    rep = compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="grid", clock=clock)
    rows = by_key(rep)
    assert set(rows) == {GRID_1, GRID_2, GRID_B, GRID_OTHER, None}
    g1 = rows[GRID_1]
    assert (g1.name, g1.reported, g1.filed, g1.closed, g1.cohort_closed) == ("福石一网格", 2, 2, 2, 2)
    assert (g1.closure_rate, g1.on_time_closure_rate, g1.rework_rate) == (1.0, 0.5, 0.5)
    assert (g1.mean_accept_s, g1.mean_resolve_s, g1.overdue_now) == (900.0, 14400.0, 0)
    g2 = rows[GRID_2]  # C (open, overdue) in the cohort; E closed in the week but filed before it
    assert (g2.reported, g2.filed, g2.closed, g2.cohort_closed, g2.overdue_now) == (1, 1, 1, 0, 1)
    assert (g2.closure_rate, g2.on_time_closure_rate, g2.rework_rate) == (0.0, 0.0, None)
    assert (g2.mean_accept_s, g2.mean_resolve_s) == (3600.0, None)
    gb = rows[GRID_B]  # D not filed, F suspended: not overdue while its clock is stopped
    assert (gb.reported, gb.filed, gb.closed, gb.overdue_now, gb.closure_rate) == (2, 1, 0, 0, 0.0)
    assert rows[None].name == "未落格 no unit" and (rows[None].filed, rows[None].overdue_now) == (1, 1)
    other = rows[GRID_OTHER]  # a grid with no cases is listed with zeros, rates undefined
    assert (other.reported, other.filed, other.closure_rate, other.mean_accept_s) == (0, 0, None, None)
    total = rep.total
    assert (total.reported, total.filed, total.closed, total.cohort_closed, total.on_time_closed) == (6, 5, 3, 2, 1)
    assert (total.closure_rate, total.on_time_closure_rate, total.rework_rate) == (0.4, 0.2, 0.5)
    assert (total.mean_accept_s, total.mean_resolve_s, total.overdue_now) == (1800.0, 14400.0, 2)


def test_per_street_community_category_and_filters(store, clock, week):
    streets = by_key(compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="street", now=NOW))
    assert set(streets) == {STREET, OTHER_STREET}
    assert (streets[STREET].filed, streets[STREET].cohort_closed, streets[STREET].overdue_now) == (5, 2, 2)
    assert streets[OTHER_STREET].reported == 0
    communities = by_key(compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="community", now=NOW))
    assert (communities[COMM_A].filed, communities[COMM_A].closure_rate) == (4, 0.5)  # A, B, C, G
    assert (communities[COMM_B].reported, communities[COMM_B].filed) == (2, 1)
    cats = by_key(compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="category", now=NOW))
    assert cats["E0101"].name == "道路破损 road damage"
    assert (cats["E0101"].reported, cats["E0101"].filed, cats["E0101"].closed) == (4, 3, 3)  # A B D G / A B G
    assert (cats["E0102"].filed, cats["E0102"].mean_accept_s) == (2, 3600.0)
    # Subtree filter: community A's grids plus its grid-less case; community B is left out.
    in_a = by_key(compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="grid", unit=COMM_A, now=NOW))
    assert set(in_a) == {GRID_1, GRID_2, None}
    whole_city = compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="grid", unit="440400", now=NOW)
    assert whole_city.total.filed == 5
    one_cat = compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="grid", category="E0102", now=NOW)
    assert (one_cat.total.filed, one_cat.total.overdue_now) == (2, 1)


def test_period_boundaries(store, clock, week):
    before = compute_kpis(store, start=WEEK[0] - timedelta(days=7), end=WEEK[0], group_by="grid", now=NOW).total
    # Only E: filed that week; its close (Mon 08:50) is at/after the end, so not closed yet for that period.
    assert (before.reported, before.filed, before.closed, before.cohort_closed) == (1, 1, 0, 0)
    assert before.closure_rate == 0.0
    assert before.mean_accept_s == 300.0
    # [start, end) is half-open: a period ending at Mon 09:00 sharp excludes A/B/C/G filed at 09:00.
    edge = compute_kpis(store, start=WEEK[0], end=at(0, "09:00"), group_by="grid", now=NOW).total
    assert (edge.filed, edge.closed) == (0, 1)
    with pytest.raises(KpiError):
        compute_kpis(store, start=WEEK[1], end=WEEK[0], now=NOW)
    with pytest.raises(KpiError):
        compute_kpis(store, start=WEEK[0], end=WEEK[1], group_by="planet", now=NOW)
    with pytest.raises(KpiError):
        compute_kpis(store, start=WEEK[0], end=WEEK[1], unit="999999", now=NOW)


@pytest.fixture
def client(store, tmp_path, clock, week, sign_in):
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        sign_in(test_client, store, role="viewer", scope="440400")  # the city's view: every street; reads only
        yield test_client


def test_api_json_and_csv(client, store, clock, week):
    params = {"from": WEEK[0].isoformat(), "to": WEEK[1].isoformat(), "group_by": "grid"}
    body = client.get("/api/kpis", params=params).json()
    rows = {r["key"]: r for r in body["rows"]}
    assert rows[GRID_1]["closure_rate"] == 1.0 and rows[GRID_1]["rework_rate"] == 0.5
    assert rows[GRID_2]["overdue_now"] == 1 and body["total"]["filed"] == 5
    assert body["now"].startswith("2024-06-05T01:00:00")  # the hub's clock, not the wall clock

    for response in (
        client.get("/api/kpis", params=params | {"format": "csv"}),
        client.get("/api/kpis.csv", params=params),
    ):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        raw = response.content
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese headers as UTF-8
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header, lines = table[0], {line[0]: line for line in table[1:]}
        assert header[:3] == ["编码 code", "名称 name", "上报数 reported"]
        g1 = dict(zip(header, lines[GRID_1], strict=False))
        assert g1["名称 name"] == "福石一网格" and g1["结案率 closure_rate (%)"] == "100.00"
        assert g1["按期结案率 on_time_closure_rate (%)"] == "50.00" and g1["平均接单时长 mean_accept (min)"] == "15.0"
        assert dict(zip(header, lines["合计 total"], strict=False))["立案数 filed"] == "5"
        assert dict(zip(header, lines[GRID_OTHER], strict=False))["结案率 closure_rate (%)"] == ""

    assert client.get("/api/kpis", params=params | {"group_by": "planet"}).status_code == 422
    assert client.get("/api/kpis", params=params | {"unit": "999"}).status_code == 422
    assert client.get("/api/kpis", params={"from": WEEK[1].isoformat(), "to": WEEK[0].isoformat()}).status_code == 422
    assert client.get("/api/kpis", params={"from": "2024-06-03T00:00:00"}).status_code == 422  # naive time


def test_api_figures_cover_only_the_operators_subtree(client, store, week, sign_in):
    params = {"from": WEEK[0].isoformat(), "to": WEEK[1].isoformat(), "group_by": "grid"}
    everything = client.get("/api/kpis", params=params).json()
    assert GRID_OTHER in {r["key"] for r in everything["rows"]}
    sign_in(client, store, role="dispatcher", scope=COMM_A)  # from here on: 福石社区's own dispatcher
    mine = client.get("/api/kpis", params=params).json()
    assert {r["key"] for r in mine["rows"]} <= {GRID_1, GRID_2, None} and mine["unit"] == COMM_A
    assert mine["total"]["filed"] < everything["total"]["filed"]
    assert client.get("/api/kpis", params=params | {"unit": STREET}).json()["unit"] == COMM_A  # narrowed
    assert client.get("/api/kpis", params=params | {"unit": COMM_B}).status_code == 404  # another community
    assert client.get("/api/kpis.csv", params=params | {"unit": COMM_B}).status_code == 404
