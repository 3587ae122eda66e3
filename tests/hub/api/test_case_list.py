"""Finding cases (SQLite and PostgreSQL): the list's filters and sorts, keyset paging that neither repeats nor skips
while cases keep arriving, scope (another community's cases never show; a root operator sees all, unplaced ones too),
the lookup of what a resident quotes (reference, the kiosk's receipt code, a record id - a duplicate report's too),
search words taken literally, and that the queries use the indexes migration 0012 made for them."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub import app as hub_app
from hub.app import create_app
from hub.cases import CaseService, views_repo
from hub.cases.intake import CaseIntake
from hub.mqtt.ingest import ingest_batch
from hub.org.repo import Person, Unit, save_people, save_units
from hub.org.routing import RouteResult
from hub.org.taxonomy import Category, install_taxonomy
from hub.settings import HubSettings
from protocol import IncidentReport, Position, Severity, uuid7
from tests.hub.conftest import raw

SH = ZoneInfo("Asia/Shanghai")
MON_9 = datetime(2024, 6, 3, 9, 0, tzinfo=SH)
CITY, DISTRICT, STREET = "440400", "440402", "440402004"
COMM, GRID_1, GRID_2 = "440402004005", "440402004005001", "440402004005002"
OTHER_COMM, OTHER_GRID = "440402004006", "440402004006001"
ROAD, FIRE_LANE, STALLS = "E0101", "E0201", "E0501"


class World:
    """A street of two communities (福石 FS, 翠微 CW), and a way to open cases from stored kiosk reports."""

    def __init__(self, store, clock):
        self.store, self.clock = store, clock
        self.service = CaseService(store, clock=clock)
        self.seq = itertools.count(1)
        self.lat = itertools.count()

    def report(self, *, code: str = ROAD, grid: str | None = GRID_1, community: str | None = COMM,
               note: str = "路面坑洞", device: str = "kiosk-fs-1", record_id: str | None = None,
               at_lat: float | None = None, severity: Severity = Severity.NORMAL, flagged: bool = False):
        """A kiosk report stored through the ingest, opened as a case (or joined to its twin): the OpenResult."""
        lat = at_lat if at_lat is not None else 22.20 + 0.003 * next(self.lat)  # apart: never duplicates
        now = self.clock()
        rid = record_id or uuid7(int(now.timestamp() * 1000))
        message = IncidentReport(id=rid, device_id=device, seq=next(self.seq), created_at=now, category=code,
                                 note=note, severity=severity, position=Position(lat=lat, lon=113.52, accuracy_m=5))
        ingest_batch([raw(message, at=now)], self.store)
        route = RouteResult(grid, community, 1.0, flagged, "inside" if grid else "community_fallback")
        return self.service.open_case_from_report(self.store.get_record(rid), route)

    def case(self, **kwargs) -> dict:
        result = self.report(**kwargs)
        self.clock.advance(60)
        return {"id": result.case.id, "reference": result.case.reference, "receipt": result.case.receipt_code,
                "record": result.case.source_record_id}


@pytest.fixture
def world(store, clock) -> World:
    clock.now = MON_9.astimezone(UTC)
    units = [Unit(CITY, "city", "珠海市"), Unit(DISTRICT, "district", "香洲区", CITY),
             Unit(STREET, "street", "前山街道", DISTRICT), Unit(COMM, "community", "福石社区", STREET, abbr="FS"),
             Unit(OTHER_COMM, "community", "翠微社区", STREET, abbr="CW"),
             Unit(GRID_1, "grid", "福石一网格", COMM), Unit(GRID_2, "grid", "福石二网格", COMM),
             Unit(OTHER_GRID, "grid", "翠微一网格", OTHER_COMM)]
    with store.write() as conn:
        save_units(conn, units, clock())
        save_people(conn, [Person("d1", "调度员", "dispatcher", COMM), Person("h1", "处置员甲", "handler", COMM),
                           Person("h2", "处置员乙", "handler", COMM),
                           Person("d2", "翠微调度", "dispatcher", OTHER_COMM)])
    install_taxonomy(store, [
        Category(ROAD, "event", "01", "01", "道路破损", "road damage", "", "", 4, "working_hours"),
        Category(FIRE_LANE, "event", "02", "01", "消防通道堵塞", "blocked fire lane", "", "", 2, "working_hours",
                 urgent=True),
        Category(STALLS, "event", "05", "01", "占道经营", "street stalls", "", "", 1, "working_days")])
    return World(store, clock)


@pytest.fixture
def jobs_held_still(monkeypatch):
    """The World is the intake here: it stores a kiosk report and opens its case on the route it chooses. The
    hub's intake job, woken by the same stored report, would race it and open the case on its own routing (no
    grid outlines here: unplaced, out of a community operator's sight) - the cursor walk then "skipped" a case it
    could never see (intermittent on SQLite under load). The colour and escalation jobs would change cases as the
    clock moves on. So the intake finds nothing to do, the other jobs are not started, and what a test sees is the
    list alone."""
    every_job = hub_app.background_jobs
    monkeypatch.setattr(CaseIntake, "run_once", lambda self: 0)
    monkeypatch.setattr(hub_app, "background_jobs", lambda *args, **kwargs: [  # the API hands reports to "intake"
        job for job in every_job(*args, **kwargs) if job.name == "intake"])


@pytest.fixture
def api(jobs_held_still, store, tmp_path, clock, world, sign_in):
    """A client and the bearer headers of operators scoped to 福石, 翠微, the street and the city (the root)."""
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as client:
        heads = {}
        for name, scope in (("fs", COMM), ("cw", OTHER_COMM), ("street", STREET), ("city", CITY)):
            token = sign_in(client, store, role="viewer", scope=scope, username=f"op-{name}", set_default=False)
            heads[name] = {"Authorization": f"Bearer {token}"}
        yield client, heads


def listed(client, heads, **params) -> tuple[list[str], dict]:
    response = client.get("/api/cases", params=params, headers=heads)
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["id"] for item in body["items"]], body


def test_each_filter(api, world, clock):
    client, heads = api
    fs = heads["fs"]
    c = {"fresh": world.case(note="3号楼门口路面坑洞"),
         "urgent": world.case(code=FIRE_LANE, grid=GRID_2, note="消防通道被占", severity=Severity.URGENT),
         "fallback": world.case(grid=None, flagged=True, note="不知道在哪个网格"),
         "stalls": world.case(code=STALLS, note="早市占道", device="kiosk-fs-2"),
         "other": world.case(grid=OTHER_GRID, community=OTHER_COMM, device="kiosk-cw-1", note="翠微路面坑洞")}
    world.service.transition(c["urgent"]["id"], "file", "d1")
    world.service.transition(c["stalls"]["id"], "file", "d1")
    world.service.transition(c["stalls"]["id"], "dispatch", "d1", assignee="h1")
    # a case the hub raises itself (it files it at once)
    system = world.service.open_case("welfare:test-1", ROAD, grid_code=GRID_1, community_code=COMM, note="系统生成")
    clock.advance(3 * 3600)  # 12:00 and later: the urgent one (2 working hours from filing) is overdue

    mine = [c[k]["id"] for k in ("fresh", "urgent", "fallback", "stalls")] + [system.case.id]
    got, body = listed(client, fs)
    assert set(got) == set(mine) and body["total"] == 5 and body["total_estimate"] is None
    row = next(item for item in body["items"] if item["id"] == c["stalls"]["id"])
    assert row["reference"].startswith("FS-20240603-") and row["category_zh"] == "占道经营"
    assert row["category_en"] == "street stalls" and row["grid_name"] == "福石一网格"
    assert row["community_name"] == "福石社区"
    assert row["assignee"] == {"id": "h1", "name": "处置员甲", "role": "handler"} and row["state_zh"]
    assert row["source"] == "device" and row["report_count"] == 1 and row["deadline"] and row["receipt_code"]

    def ids(**params) -> set[str]:
        return set(listed(client, fs, **params)[0])

    assert ids(unit=GRID_2) == {c["urgent"]["id"]}
    assert ids(unit=COMM) == set(mine)  # the community's subtree: its grids and the 属地兜底 case
    assert ids(category=[FIRE_LANE, STALLS]) == {c["urgent"]["id"], c["stalls"]["id"]}
    assert ids(state=["filed", "dispatched"]) == {c["urgent"]["id"], c["stalls"]["id"], system.case.id}
    assert ids(level="red") == {c["urgent"]["id"]}
    assert ids(assignee="h1") == {c["stalls"]["id"]}
    assert ids(device="kiosk-fs-2") == {c["stalls"]["id"]}
    assert ids(source="system") == {system.case.id} and ids(source=["device", "system"]) == set(mine)
    assert ids(overdue="true") == {c["urgent"]["id"]} and c["urgent"]["id"] not in ids(overdue="false")
    assert ids(flagged="true") == {c["fallback"]["id"]}
    assert ids(flagged="true", state="reported") == {c["fallback"]["id"]}  # the "needs review" preset
    start = MON_9.astimezone(UTC)
    assert ids(created_from=(start + timedelta(seconds=90)).isoformat(),
               created_to=(start + timedelta(seconds=150)).isoformat()) == {c["fallback"]["id"]}
    # words: of the note, of the title (the category's name), a reference, a receipt code; any case
    assert ids(q="坑洞") == {c["fresh"]["id"]}  # 翠微's pothole is outside the scope
    assert ids(q="消防通道") == {c["urgent"]["id"]} and ids(q="道路破损") == {c["fresh"]["id"], c["fallback"]["id"],
                                                                         system.case.id}
    assert ids(q=c["stalls"]["reference"].lower()) == {c["stalls"]["id"]}
    assert ids(q=c["stalls"]["reference"].replace("-", "")) == {c["stalls"]["id"]}
    assert ids(q=c["stalls"]["receipt"]) == {c["stalls"]["id"]}
    assert ids(q=c["stalls"]["receipt"].upper()) == {c["stalls"]["id"]}
    assert ids(q=c["other"]["reference"]) == set() and ids(unit=OTHER_COMM) == set()
    assert listed(client, fs, unit=OTHER_COMM)[1]["total"] == 0
    # several filters at once: all must hold
    assert ids(category=ROAD, state="reported", q="坑洞") == {c["fresh"]["id"]}
    assert ids(category=ROAD, state="dispatched") == set()
    for bad in ({"state": "flying"}, {"level": "purple"}, {"source": "pigeon"}, {"order": "random"},
                {"created_from": "2024-06-03T09:00:00"}, {"limit": 0}, {"cursor": "nonsense"},
                {"cursor": views_repo.encode_cursor("oldest", ["2024-06-03T01:00:00+00:00", "x"])}):
        assert client.get("/api/cases", params=bad, headers=fs).status_code == 422, bad
    cursor = listed(client, fs, limit=1)[1]["next_cursor"]
    refused = client.get("/api/cases", params={"cursor": cursor, "offset": 1}, headers=fs)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "cursor_and_offset"
    assert listed(client, fs, count="false")[1]["total"] is None


def test_sorts(api, world, clock):
    client, heads = api
    a = world.case(note="最早")  # 09:00
    b = world.case(code=FIRE_LANE, severity=Severity.URGENT)  # red
    d = world.case(severity=Severity.HIGH)  # yellow
    e = world.case()
    f = world.case(code=FIRE_LANE, severity=Severity.URGENT)
    world.service.transition(e["id"], "file", "d1")  # 4 working hours from 09:04 → 13:04 +2h lunch = 15:04
    world.service.transition(b["id"], "file", "d1")  # 2 working hours → 11:05
    world.service.transition(d["id"], "file", "d1")  # 4 working hours → 15:05
    everyone = [a["id"], b["id"], d["id"], e["id"], f["id"]]

    def order(name: str, **params) -> list[str]:
        return listed(client, heads["fs"], order=name, **params)[0]

    assert order("newest") == everyone[::-1]
    assert order("oldest") == everyone
    # by deadline (d and e: the same one, then by id: age), cases without one last
    assert order("deadline") == [b["id"], d["id"], e["id"], a["id"], f["id"]]
    assert order("level") == [b["id"], f["id"], d["id"], a["id"], e["id"]]  # red, yellow, blue; each oldest first
    assert order("level", level=["blue", "yellow"]) == [d["id"], a["id"], e["id"]]
    clock.advance(4 * 3600)  # b is overdue now: overdue_first (the old order) keeps working, by offset
    assert order("overdue_first")[0] == b["id"]
    assert order("overdue_first", offset=1, limit=2) == order("overdue_first")[1:3]
    assert listed(client, heads["fs"], order="overdue_first", limit=1)[1]["next_cursor"] is None


@pytest.mark.parametrize("merge", [True, False], ids=["merged-per-place", "one-query"])
@pytest.mark.parametrize("order", ["newest", "oldest", "deadline", "level"])
def test_cursor_pages_neither_repeat_nor_skip_while_cases_arrive(api, world, clock, monkeypatch, order, merge):
    if not merge:
        monkeypatch.setattr(views_repo, "MERGE_PLACES", 0)
    client, heads = api
    grids = itertools.cycle([GRID_1, GRID_2, None])
    levels = itertools.cycle([Severity.NORMAL, Severity.HIGH, Severity.URGENT, Severity.NORMAL])
    first = [world.case(grid=next(grids), severity=next(levels))["id"] for _ in range(11)]
    for case_id in first[::3]:
        world.service.transition(case_id, "file", "d1")
        clock.advance(61)
    seen: list[str] = []
    params: dict = {"order": order, "limit": 4}
    while True:
        ids, body = listed(client, heads["fs"], **params)
        seen += ids
        world.case(grid=next(grids), severity=next(levels))  # another one arrives between the pages
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)), "a case came twice"
    assert set(first) <= set(seen), "a case was skipped"
    everything = listed(client, heads["fs"], order=order, limit=500)[0]
    assert seen == [i for i in everything if i in set(seen)], "pages out of order"
    if order == "newest":
        assert seen == first[::-1]  # what arrived later is newer than the first page: never in later pages


def test_scope(api, world):
    client, heads = api
    mine = world.case(note="福石的坑")
    theirs = world.case(grid=OTHER_GRID, community=OTHER_COMM, note="翠微的坑")
    nowhere = world.service.open_case("system:nowhere", ROAD, grid_code=None, community_code=None, note="未定位")
    assert set(listed(client, heads["fs"])[0]) == {mine["id"]}
    assert set(listed(client, heads["cw"])[0]) == {theirs["id"]}
    assert set(listed(client, heads["street"])[0]) == {mine["id"], theirs["id"]}  # unplaced: the top only
    assert set(listed(client, heads["city"])[0]) == {mine["id"], theirs["id"], nowhere.case.id}
    assert listed(client, heads["fs"], q="翠微的坑")[0] == [] and listed(client, heads["fs"], unit=OTHER_GRID)[0] == []
    assert listed(client, heads["city"], unit=OTHER_COMM)[0] == [theirs["id"]]
    for q in (theirs["reference"], theirs["receipt"], theirs["record"], theirs["id"]):
        assert client.get("/api/cases/lookup", params={"q": q}, headers=heads["fs"]).status_code == 404, q
        assert client.get("/api/cases/lookup", params={"q": q}, headers=heads["city"]).json()["id"] == theirs["id"]


def test_lookup_by_what_people_quote(api, world, clock):
    client, heads = api
    fs = heads["fs"]
    kiosk_ms = int(clock().timestamp() * 1000)
    case = world.case(record_id=uuid7(kiosk_ms, b"\x01" * 7 + b"\x89\x9d\xe7"), at_lat=22.3)  # the kiosk: 编号 899de7
    twin_record = uuid7(kiosk_ms + 5, b"\x02" * 7 + b"\xab\xcd\xef")
    joined = world.report(record_id=twin_record, at_lat=22.3)  # a second resident reports the same pothole
    assert joined.joined and joined.case.id == case["id"]

    def lookup(q: str, who: dict = fs):
        return client.get("/api/cases/lookup", params={"q": q}, headers=who)

    reference = case["reference"]
    assert reference.startswith("FS-20240603-")
    for q in (reference, reference.lower(), reference.replace("-", ""), f" {reference.replace('-', '').lower()} ",
              reference.rsplit("-", 1)[0] + "-" + str(int(reference.rsplit("-", 1)[1])),  # FS-20240603-1
              "899de7", "899DE7", "编号 899de7", "abcdef",  # the joined report's receipt finds the case it joined
              case["record"], case["record"].upper(), case["record"].replace("-", ""), twin_record, case["id"]):
        found = lookup(q)
        assert found.status_code == 200, (q, found.text)
        assert found.json()["id"] == case["id"] and found.json()["receipt_code"] == "899de7", q
    for q in ("FS-20240603-9999", "123456", "坑洞", "FS", "0" * 36, "%", "_" * 6):
        assert lookup(q).status_code == 404, q
    missing = lookup("ffffff").json()["detail"]
    assert missing["code"] == "not_found" and missing["zh"] and missing["en"]

    # Another kiosk's report whose record id ends the same: two cases answer to 899de7
    clock.advance(3600)
    other = world.case(record_id=uuid7(kiosk_ms + 3_600_000, b"\x03" * 7 + b"\x89\x9d\xe7"), device="kiosk-fs-9")
    ambiguous = lookup("899de7")
    assert ambiguous.status_code == 409
    detail = ambiguous.json()["detail"]
    assert detail["code"] == "ambiguous" and "899de7" in detail["zh"] and detail["en"]
    assert [m["id"] for m in detail["matches"]] == [other["id"], case["id"]]  # newest first
    assert {m["reference"] for m in detail["matches"]} == {reference, other["reference"]}
    assert lookup(other["reference"]).json()["id"] == other["id"]  # the reference settles it
    assert len(listed(client, fs, q="899de7")[0]) == 2  # the list shows both


@pytest.mark.parametrize("window", [views_repo.TEXT_WINDOW, 1], ids=["window", "index"])
def test_search_words_are_taken_literally(api, world, monkeypatch, window):
    monkeypatch.setattr(views_repo, "TEXT_WINDOW", window)  # 1: the first look finds too few, the index answers
    client, heads = api
    notes = {"pct": "满100%退款", "thousand": "满1000退款", "under": "a_b路口", "ax": "axb路口", "slash": "c\\d楼",
             "cx": "cxd楼", "ktv": "KTV门口噪音", "quote": "it's 'quoted'"}
    c = {k: world.case(note=v)["id"] for k, v in notes.items()}

    def found(q: str) -> set[str]:
        return {k for k, v in c.items() if v in set(listed(client, heads["fs"], q=q)[0])}

    assert found("100%") == {"pct"} and found("%") == {"pct"}
    assert found("a_b") == {"under"} and found("_") == {"under"}
    assert found("c\\d") == {"slash"} and found("\\") == {"slash"}
    assert found("ktv") == {"ktv"} and found("Ktv门") == {"ktv"}  # any case
    assert found("'quoted'") == {"quote"} and found("'; DROP TABLE cases; --") == set()
    assert found("路口") == {"under", "ax"} and found("退款") == {"pct", "thousand"}
    assert len(listed(client, heads["fs"])[0]) == len(notes)  # still there
    first, body = listed(client, heads["fs"], q="退款", limit=1)  # the first look fills a page (window: 2 of 8)
    second, end = listed(client, heads["fs"], q="退款", limit=1, cursor=body["next_cursor"])
    assert first == [c["thousand"]] and second == [c["pct"]] and end["next_cursor"] is None


def test_total_is_exact_up_to_the_cap(api, world, monkeypatch, store):
    client, heads = api
    for _ in range(5):
        world.case()
    assert listed(client, heads["fs"], limit=2)[1]["total"] == 5
    monkeypatch.setattr(views_repo, "TOTAL_CAP", 3)
    body = listed(client, heads["fs"], limit=2)[1]
    assert body["total"] is None
    if store.db_url.startswith("postgresql"):
        assert body["total_estimate"] >= 4  # the planner's estimate, never below the cap
    else:
        assert body["total_estimate"] is None
    assert listed(client, heads["fs"], limit=2, state="filed")[1]["total"] == 0


def _plans(store, run) -> str:
    """The plans of the statements ``run`` sends (PostgreSQL: EXPLAIN with sequential scans off, as if the table
    were big; SQLite: EXPLAIN QUERY PLAN), as one text."""
    statements = []

    def grab(conn, cursor, statement, parameters, context, many):
        statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", grab)
    out = []
    with store.engine.connect() as conn:
        raw_conn = conn.connection.dbapi_connection
        pg = store.db_url.startswith("postgresql")
        cursor = raw_conn.cursor()
        if pg:
            cursor.execute("SET enable_seqscan = off")
        for statement, parameters in statements:
            if "FROM cases" not in statement and "FROM case_events" not in statement:
                continue
            cursor.execute(("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + statement, parameters)
            out += [" ".join(str(v) for v in row) for row in cursor.fetchall()]
        if pg:
            cursor.execute("RESET enable_seqscan")
    return "\n".join(out)


def test_queries_use_the_indexes_made_for_them(api, world, store, clock):
    client, heads = api
    case = world.case(code=FIRE_LANE, severity=Severity.URGENT)
    world.report(at_lat=22.3, record_id=uuid7(int(clock().timestamp() * 1000), b"\x04" * 10))
    world.report(at_lat=22.3)  # joins the first as a duplicate
    world.service.transition(case["id"], "file", "d1")
    pg = store.db_url.startswith("postgresql")

    def plan_of(path: str, **params) -> str:
        return _plans(store, lambda: client.get(path, params=params, headers=heads["fs"]))

    assert "ix_cases_place_created" in plan_of("/api/cases")  # a community's newest page, one branch per place
    assert "ix_cases_open_place" in plan_of("/api/cases", state=["reported", "filed"])
    if pg:  # SQLite picks its own way through so few rows; the partial index's condition is checked above
        assert "ix_cases_open_deadline" in _plans(store, lambda: client.get(
            "/api/cases", params={"overdue": "true", "order": "deadline"}, headers=heads["city"]))
        for words in ("坑洞", "路面坑洞"):  # one piece; several, checked with LIKE
            assert "ix_cases_text_bigrams" in _plans(store, lambda w=words: client.get(
                "/api/cases", params={"q": w}, headers=heads["city"]))
        with store.engine.connect() as conn:  # the migration made it (tests/hub/cases/test_schema.py skips it)
            assert sorted(conn.execute(sa.text("SELECT gridline_bigrams('井盖a')")).scalar_one()) == ["井盖", "盖a"]
    assert "ix_case_events_duplicate_receipt" in plan_of("/api/cases/lookup", q="0a0b0c")
    assert "uq_cases_reference" in plan_of("/api/cases/lookup", q=case["reference"])
    assert "ix_cases_receipt_code" in plan_of("/api/cases/lookup", q=case["receipt"])
