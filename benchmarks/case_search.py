"""Finding cases among a million: the case list (``GET /api/cases``) and lookup (``GET /api/cases/lookup``) on
PostgreSQL and SQLite, side by side, through the real routes.

1. world: a city of 5 districts, 30 streets, 300 communities and 2,400 grids (busy ones and quiet ones), 1,800
   people, the shipped taxonomy; ``--rows`` cases over two years (more lately), each with its report record (the
   reporter device: the grid's kiosk, or a patrol phone), its report event and its duplicate reports' events.
   States follow age (nearly all old cases closed; the last days open in every state), levels from the report's
   urgency, deadlines from the category's time limit, assignees among the community's handlers, notes from a
   phrase book (a few rare words to search for). The same rows (one seed) go into both databases.
2. load: a fresh PostgreSQL database made by the script (COPY), and a SQLite file (one transaction of
   executemany), both migrated to 0011 first; then the upgrade to head is timed (migration 0012 builds the list
   indexes over the loaded rows, which is what an upgrade of a big deployment costs), then ANALYZE on PostgreSQL
   (autovacuum would do it), and on SQLite the bounded ANALYZE the hub runs at start and every few hours.
3. queries over HTTP (the API router with sign-in, without the background jobs), one operator per scope, each
   query ``--repeat`` times on different communities / grids / references; p50 / p95 / max in milliseconds.

    .venv/bin/python -m benchmarks.case_search [--rows 1000000] [--sqlite-rows N] [--repeat 40] [--keep]
        [--pg-url URL] [--sqlite-path FILE] [--only pg|sqlite] [--explain]

``--pg-url`` / ``--sqlite-path`` reuse a database a ``--keep`` run left (no load). ``--explain`` prints the
PostgreSQL plan of each query's page statement (EXPLAIN ANALYZE, unprepared).
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.api import api_router
from hub.auth.operators import OperatorDirectory
from hub.org.taxonomy import default_taxonomy, install_taxonomy
from hub.settings import HubSettings
from hub.store import HubStore, upgrade
from hub.store.statistics import refresh_planner_statistics
from protocol import uuid7

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing
SPAN_DAYS = 730
SEED = 20261204
PASSWORD = "Case-search-bench-2026!"

DISTRICTS, STREETS, COMMUNITIES, GRIDS = 5, 6, 10, 8  # per parent
HANDLERS = 5  # per community

PLACES = ["3号楼", "小区东门", "菜市场旁", "公交站", "幼儿园门口", "地下停车场", "人行道", "河边步道", "商铺前",
          "12栋楼下", "健身广场", "学校后门", "老旧小区", "施工围挡边", "天桥下", "农贸市场", "社区服务中心", "路口"]
PROBLEMS = ["路面坑洞", "井盖缺失", "垃圾堆积", "占道经营", "违章停车", "路灯不亮", "噪音扰民", "污水外溢",
            "树木倒伏", "消防通道堵塞", "乱贴小广告", "违建搭建", "积水严重", "护栏损坏", "油烟扰民", "宠物扰民"]
EXTRAS = ["请尽快处理", "已持续三天", "影响通行", "居民反映强烈", "晚上尤其严重", "有安全隐患", "老人小孩经过危险",
          "", "", ""]
RARE = ["联系人王建国", "KTV门口", "电话13800138000", "100% 纯属误报_请核实"]  # words a search looks for

STATE_MIX = [  # (max age in days, [(state, weight)])
    (1, [("reported", 40), ("filed", 15), ("dispatched", 20), ("accepted", 10), ("arrived", 5), ("resolved", 5),
         ("not_filed", 3), ("closed", 2)]),
    (7, [("reported", 5), ("filed", 5), ("dispatched", 10), ("accepted", 8), ("arrived", 5), ("resolved", 15),
         ("verified", 7), ("closed", 38), ("not_filed", 5), ("suspended", 2)]),
    (30, [("reported", 1), ("filed", 1), ("dispatched", 2), ("accepted", 2), ("arrived", 1), ("resolved", 3),
          ("verified", 2), ("closed", 80), ("not_filed", 5), ("suspended", 3)]),
    (10**6, [("reported", 1), ("filed", 1), ("dispatched", 2), ("accepted", 2), ("arrived", 1), ("resolved", 2),
             ("verified", 1), ("closed", 930), ("not_filed", 50), ("suspended", 10)]),
]
ASSIGNED = {"dispatched", "accepted", "arrived", "resolved", "verified", "closed"}
DEADLINED = ASSIGNED | {"filed"}
SOURCES = [("device", 78), ("patrol", 8), ("open311", 5), ("hotline", 5), ("phone", 3), ("walk_in", 1)]

CASE_COLUMNS = ("id", "state", "category_code", "grid_code", "community_code", "level", "title", "note", "lat", "lon",
                "accuracy_m", "flagged_for_review", "route_reason", "source_record_id", "report_count", "assignee",
                "filed_at", "deadline", "closed_at", "created_at", "updated_at", "version", "reference",
                "receipt_code", "source", "severity")
EVENT_COLUMNS = ("case_id", "seq", "transition", "outcome", "from_state", "to_state", "actor", "actor_device", "at",
                 "received_at", "reason", "note", "origin", "client_event_id")
RECORD_COLUMNS = ("id", "device_id", "seq", "kind", "payload", "content_sha256", "device_time", "received_at")


# -- the world --------------------------------------------------------------------------------------------------
@dataclass
class World:
    # (code, level, name, parent, abbr)
    units: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)
    grids: dict[str, list[str]] = field(default_factory=dict)  # community → its grids
    streets: list[str] = field(default_factory=list)
    people: list[tuple[str, str, str, str]] = field(default_factory=list)  # id name role unit
    handlers: dict[str, list[str]] = field(default_factory=dict)  # community → handler ids
    weights: list[float] = field(default_factory=list)  # per community: how busy


def make_world() -> World:
    rnd = random.Random(SEED)
    w = World()
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    w.units.append(("440400", "city", "珠海市", None, None))
    for d in range(1, DISTRICTS + 1):
        dc = f"4404{d:02d}"
        w.units.append((dc, "district", f"第{d}区", "440400", None))
        for s in range(1, STREETS + 1):
            sc = f"{dc}{s:03d}"
            w.streets.append(sc)
            w.units.append((sc, "street", f"第{d}区{s}街道", dc, None))
            for c in range(1, COMMUNITIES + 1):
                cc = f"{sc}{c:03d}"
                w.communities.append(cc)
                w.units.append((cc, "community", f"{sc[-3:]}街{c}社区", sc, f"C{len(w.communities):03d}"))
                w.grids[cc] = []
                for g in range(1, GRIDS + 1):
                    gc = f"{cc}{g:03d}"
                    w.grids[cc].append(gc)
                    w.units.append((gc, "grid", f"{c}社区{g}网格", cc, None))
                w.handlers[cc] = []
                for h in range(HANDLERS):
                    pid = f"h-{cc}-{h}"
                    w.handlers[cc].append(pid)
                    w.people.append((pid, rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given), "handler",
                                     cc))
                w.people.append((f"d-{cc}", rnd.choice(surnames) + rnd.choice(given), "dispatcher", cc))
    # Busy and quiet communities: a long tail (the busiest ~20x the quietest).
    w.weights = [1.0 / (1 + i * 0.065) for i in range(len(w.communities))]
    rnd.shuffle(w.weights)
    return w


def _pick(rnd: random.Random, mix: list[tuple[str, int]]) -> str:
    return rnd.choices([m[0] for m in mix], [m[1] for m in mix])[0]


def sqlite_time(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Rows:
    cases: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]


def make_rows(w: World, n: int) -> Rows:
    """``n`` cases, their report records and their intake events (report + duplicates), oldest first."""
    rnd = random.Random(SEED + n)
    cats = default_taxonomy()
    cat_weights = [1.0 / (1 + i * 0.3) for i in range(len(cats))]
    rnd.shuffle(cat_weights)
    ages = sorted((SPAN_DAYS * rnd.random() ** 1.15 for _ in range(n)), reverse=True)
    counters: dict[tuple[str, str], int] = {}
    cases, events, records = [], [], []
    seqs: dict[str, int] = {}
    for age in ages:
        created = NOW - timedelta(days=age)
        ms = int(created.timestamp() * 1000)
        community = rnd.choices(w.communities, w.weights)[0]
        grid = None if rnd.random() < 0.04 else rnd.choice(w.grids[community][: 2 + int(rnd.random() * 7)])
        cat = rnd.choices(cats, cat_weights)[0]
        state = _pick(rnd, next(mix for limit, mix in STATE_MIX if age < limit))
        severity = rnd.choices([None, "normal", "high", "urgent"], [70, 20, 7, 3])[0]
        level = ("red" if severity == "urgent" or cat.urgent and rnd.random() < 0.15 else
                 "yellow" if severity == "high" else rnd.choices(["blue", "yellow", "red"], [85, 10, 5])[0])
        filed = created + timedelta(minutes=10 + rnd.random() * 240) if state in DEADLINED else None
        hours = cat.time_limit_value * (1 if cat.time_limit_unit == "working_hours" else 24)
        deadline = filed + timedelta(hours=hours) if filed else None
        closed = created + timedelta(hours=1 + rnd.random() * 72) if state in ("closed", "not_filed") else None
        assignee = rnd.choice(w.handlers[community]) if state in ASSIGNED else None
        source = _pick(rnd, SOURCES)
        device = f"kiosk-{grid or community}" if source == "device" else (
            f"phone-{community}-{rnd.randrange(HANDLERS)}" if source == "patrol" else "open311")
        record_id = uuid7(ms - 2000, rnd.randbytes(10))
        case_id = uuid7(ms, rnd.randbytes(10))
        day = (created + timedelta(hours=8)).strftime("%Y%m%d")
        prefix = f"C{w.communities.index(community) + 1:03d}"
        counters[(prefix, day)] = number = counters.get((prefix, day), 0) + 1
        note = "".join([rnd.choice(PLACES), rnd.choice(PROBLEMS), "，", rnd.choice(EXTRAS)])
        if rnd.random() < 0.0005:
            note += "，" + rnd.choice(RARE)
        duplicates = rnd.choices([0, 1, 2, 4], [92, 6, 1.5, 0.5])[0]
        flagged = rnd.random() < (0.15 if state == "reported" else 0.01)
        lat, lon = 22.2 + rnd.random() * 0.2, 113.4 + rnd.random() * 0.2
        cases.append((case_id, state, cat.code, grid, community, level, cat.name_zh, note, lat, lon, 5.0, flagged,
                      "inside" if grid else "community_fallback", record_id, 1 + duplicates, assignee, filed,
                      deadline, closed, created, closed or filed or created, 1 + duplicates + (state != "reported"),
                      f"{prefix}-{day}-{number:04d}", record_id[-6:], source, severity))
        seqs[device] = seq = seqs.get(device, 0) + 1
        records.append((record_id, device, seq, "report", '{"kind":"report"}', "0" * 64, created, created))
        events.append((case_id, 1, "report", "applied", None, "reported", "system", device, created, created, "",
                       note, "system", f"report:{record_id}"))
        for k in range(duplicates):
            at = created + timedelta(minutes=5 + 30 * k)
            twin_id = uuid7(int(at.timestamp() * 1000), rnd.randbytes(10))
            seqs[device] = seq = seq + 1
            records.append((twin_id, device, seq, "report", '{"kind":"report"}', "0" * 64, at, at))
            events.append((case_id, 2 + k, "duplicate", "applied", "reported", "reported", "system", device, at, at,
                           "", "", "system", f"report:{twin_id}"))
    return Rows(cases, events, records)


# -- loading ------------------------------------------------------------------------------------------------------
def fresh_pg() -> str:
    name = f"gridline_case_search_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def load_org(store: HubStore, w: World) -> None:
    from hub.org.repo import Person, Unit, save_people, save_units

    with store.write() as conn:
        save_units(conn, [Unit(c, lv, nm, p, None, ab) for c, lv, nm, p, ab in w.units], NOW)
        save_people(conn, [Person(*p) for p in w.people])
    install_taxonomy(store)


def load_pg(url: str, rows: Rows) -> None:
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, columns, data in (("cases", CASE_COLUMNS, rows.cases), ("case_events", EVENT_COLUMNS, rows.events),
                                     ("records", RECORD_COLUMNS, rows.records)):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in data:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def load_sqlite(path: Path, rows: Rows) -> None:
    def convert(data: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for row in data:
            yield tuple(sqlite_time(v) if isinstance(v, datetime) else int(v) if isinstance(v, bool) else v
                        for v in row)

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for table, columns, data in (("cases", CASE_COLUMNS, rows.cases), ("case_events", EVENT_COLUMNS, rows.events),
                                     ("records", RECORD_COLUMNS, rows.records)):
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", convert(data))
        conn.execute("COMMIT")
    finally:
        conn.close()


def timed(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label}: {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def build(kind: str, w: World, rows: Rows, data_dir: Path) -> tuple[str, HubStore]:
    url = fresh_pg() if kind == "postgresql" else f"sqlite:///{data_dir / 'cases.db'}"
    print(f"{kind}: {url}", flush=True)
    timed("migrate to 0011", lambda: upgrade(url, "0011"))
    store = HubStore(url, data_dir, clock=lambda: NOW)
    load_org(store, w)
    if kind == "postgresql":
        timed(f"COPY {len(rows.cases):,} cases, {len(rows.events):,} events, {len(rows.records):,} records",
              lambda: load_pg(url, rows))
    else:
        timed(f"INSERT {len(rows.cases):,} cases, {len(rows.events):,} events, {len(rows.records):,} records",
              lambda: load_sqlite(Path(url.removeprefix("sqlite:///")), rows))
    timed("upgrade to head (migration 0012 over the loaded rows)", lambda: upgrade(url))
    if kind == "postgresql":
        def analyze() -> None:
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            engine.dispose()
        timed("VACUUM ANALYZE", analyze)
    else:  # what the hub's planner-statistics job does at start and every few hours (hub/store/statistics.py)
        timed("bounded ANALYZE (the hub's planner statistics)", lambda: refresh_planner_statistics(store))
    return url, store


# -- the queries ------------------------------------------------------------------------------------------------
@dataclass
class Sample:
    """What the queries are made of, read from the loaded database: communities across the size range, a case
    per community (its reference, receipt code, grid, assignee, reporter device)."""

    communities: list[str]
    district: str
    street: str
    cases: list[dict[str, Any]]


def sample(url: str, w: World, n: int) -> Sample:
    engine = sa.create_engine(url)
    rnd = random.Random(SEED)
    try:
        with engine.connect() as conn:
            sizes = dict(conn.execute(sa.text("SELECT community_code, count(*) FROM cases GROUP BY 1")).all())
            ranked = sorted(w.communities, key=lambda c: sizes.get(c, 0))
            picked = [ranked[int(i * (len(ranked) - 1) / max(1, n - 1))] for i in range(n)]  # quiet to busy
            rows = []
            for community in picked:
                found = conn.execute(sa.text(
                    "SELECT c.id, c.reference, c.receipt_code, c.grid_code, c.community_code, c.assignee, "
                    "r.device_id FROM cases c JOIN records r ON r.id = c.source_record_id "
                    "WHERE c.community_code = :c AND c.grid_code IS NOT NULL AND c.assignee IS NOT NULL "
                    "ORDER BY c.created_at DESC LIMIT 40"), {"c": community}).mappings().all()
                rows.append(dict(rnd.choice(found)))
    finally:
        engine.dispose()
    return Sample(picked, "440404", "440404001", rows)


def make_client(store: HubStore, data_dir: Path) -> TestClient:
    app = FastAPI()
    app.include_router(api_router(), prefix="/api")
    app.state.store, app.state.settings, app.state.bridge = store, HubSettings(data_dir=data_dir), None
    return TestClient(app)


def sign_in(client: TestClient, store: HubStore, scope: str) -> dict[str, str]:
    username = f"bench-{scope}-{uuid.uuid4().hex[:6]}"
    OperatorDirectory(store, clock=store.clock).create(username, PASSWORD, role="viewer", scope_code=scope)
    token = client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


Query = Callable[[int], tuple[str, dict[str, Any], dict[str, str]]]  # repetition → (path, params, headers)


def scenarios(client: TestClient, store: HubStore, s: Sample) -> list[tuple[str, Query]]:
    city, district, street = (sign_in(client, store, code) for code in ("440400", s.district, s.street))
    community = [sign_in(client, store, c) for c in s.communities]
    open_states = ["reported", "filed", "dispatched", "accepted", "arrived", "resolved", "verified"]

    def one(k: int) -> dict[str, Any]:
        return s.cases[k % len(s.cases)]

    def mine(k: int) -> dict[str, str]:
        return community[k % len(community)]

    def follow(k: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The 10th page: nine pages followed by cursor first (not timed: the timer runs on what this returns)."""
        params: dict[str, Any] = {"limit": 50, "count": "false"}
        for _ in range(9):
            params["cursor"] = client.get("/api/cases", params=params, headers=mine(k)).json()["next_cursor"]
        return "/api/cases", params, mine(k)

    def dashless(ref: str) -> str:
        return ref.replace("-", "").lower()

    return [
        ("community: newest page", lambda k: ("/api/cases", {}, mine(k))),
        ("community: grid + state", lambda k: ("/api/cases", {"unit": one(k)["grid_code"],
                                                              "state": ["closed", "dispatched", "reported"][k % 3]},
                                               mine(k))),
        ("community: overdue preset", lambda k: ("/api/cases", {"overdue": "true", "order": "deadline"}, mine(k))),
        ("community: needs review preset", lambda k: ("/api/cases", {"flagged": "true", "state": "reported"},
                                                      mine(k))),
        ("community: open cases, level order", lambda k: ("/api/cases", {"state": open_states, "order": "level"},
                                                          mine(k))),
        ("community: assignee", lambda k: ("/api/cases", {"assignee": one(k)["assignee"]}, mine(k))),
        ("community: reporter device", lambda k: ("/api/cases", {"device": one(k)["device_id"]}, mine(k))),
        ("community: text, 2 chars common (坑洞)", lambda k: ("/api/cases", {"q": "坑洞"}, mine(k))),
        ("community: text, 3 chars rare (王建国)", lambda k: ("/api/cases", {"q": "王建国"}, mine(k))),
        ("community: 10th page by cursor", follow),
        ("street: red open cases", lambda k: ("/api/cases", {"level": "red", "state": open_states}, street)),
        ("district: newest page", lambda k: ("/api/cases", {}, district)),
        ("district: last 7 days, category", lambda k: ("/api/cases", {
            "created_from": (NOW - timedelta(days=7)).isoformat(), "category": ["E0101", "E0501", "C0302"][k % 3]},
            district)),
        ("city: newest page", lambda k: ("/api/cases", {}, city)),
        ("city: overdue preset", lambda k: ("/api/cases", {"overdue": "true", "order": "deadline"}, city)),
        ("city: needs review preset", lambda k: ("/api/cases", {"flagged": "true", "state": "reported"}, city)),
        ("city: text, 3 chars rare (王建国)", lambda k: ("/api/cases", {"q": "王建国"}, city)),
        ("city: text, literal % (100%)", lambda k: ("/api/cases", {"q": "100%"}, city)),
        ("city: text, 2 chars common (坑洞)", lambda k: ("/api/cases", {"q": "坑洞"}, city)),
        ("city: text, 2 chars rare (误报)", lambda k: ("/api/cases", {"q": "误报"}, city)),
        ("city: list q = receipt code", lambda k: ("/api/cases", {"q": one(k)["receipt_code"]}, city)),
        ("lookup: reference, no dashes", lambda k: ("/api/cases/lookup", {"q": dashless(one(k)["reference"])}, city)),
        ("lookup: receipt code", lambda k: ("/api/cases/lookup", {"q": one(k)["receipt_code"]}, city)),
        ("lookup: receipt code, community", lambda k: ("/api/cases/lookup", {"q": one(k)["receipt_code"]},
                                                        community[k % len(community)])),
    ]


def run(client: TestClient, plan: list[tuple[str, Query]], repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for name, make in plan:
        path, params, headers = make(0)
        client.get(path, params=params, headers=headers)  # warm-up
        took, codes = [], set()
        for k in range(repeat):
            path, params, headers = make(k)
            t0 = time.perf_counter()
            response = client.get(path, params=params, headers=headers)
            took.append((time.perf_counter() - t0) * 1000)
            codes.add(response.status_code)
        bad = codes - {200, 404, 409}
        if bad:
            raise SystemExit(f"{name}: HTTP {sorted(codes)}: {response.text[:300]}")
        timings[name] = took
        print(f"    {name:<42} p50 {pct(took, 50):7.1f}  p95 {pct(took, 95):7.1f}  max {max(took):7.1f} ms"
              f"   {'/'.join(str(c) for c in sorted(codes))}", flush=True)
    return timings


def pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def explain(url: str, client: TestClient, plan: list[tuple[str, Query]]) -> None:
    """EXPLAIN ANALYZE of the statements one call of each query runs (PostgreSQL's log of them, via echo)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for name, make in plan:
            path, params, headers = make(1)
            statements: list[tuple[str, Any]] = []

            def grab(conn_: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool,
                     seen: list[tuple[str, Any]] = statements) -> None:
                seen.append((statement, parameters))

            store_engine = client.app.state.store.engine  # type: ignore[attr-defined]
            sa.event.listen(store_engine, "before_cursor_execute", grab)
            try:
                client.get(path, params=params, headers=headers)
            finally:
                sa.event.remove(store_engine, "before_cursor_execute", grab)
            print(f"\n== {name}")
            for statement, parameters in statements:
                if "FROM cases" not in statement or statement.startswith("EXPLAIN"):
                    continue
                raw = conn.connection.cursor()
                raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join(r[0] for r in raw.fetchall()))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=None, help="default: --rows")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--communities", type=int, default=20, help="community operators (quiet to busy)")
    parser.add_argument("--only", choices=("pg", "sqlite"))
    parser.add_argument("--pg-url", help="reuse a loaded PostgreSQL database (from --keep)")
    parser.add_argument("--sqlite-path", type=Path, help="reuse a loaded SQLite file (from --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans of each query")
    args = parser.parse_args()
    w = make_world()
    results: dict[str, dict[str, list[float]]] = {}
    kinds = [k for k in ("postgresql", "sqlite") if args.only in (None, {"postgresql": "pg"}.get(k, k))]
    generated: dict[int, Rows] = {}
    for kind in kinds:
        data_dir = Path(tempfile.mkdtemp(prefix=f"case-search-{kind}-"))
        n = args.rows if kind == "postgresql" else (args.sqlite_rows or args.rows)
        reuse = args.pg_url if kind == "postgresql" else (f"sqlite:///{args.sqlite_path}" if args.sqlite_path
                                                          else None)
        if reuse:
            url, store = reuse, HubStore(reuse, data_dir, clock=lambda: NOW)
            print(f"{kind}: reusing {url}", flush=True)
        else:
            if n not in generated:
                generated[n] = timed(f"generate {n:,} cases", lambda: make_rows(w, n))  # noqa: B023
            url, store = build(kind, w, generated[n], data_dir)
        try:
            with make_client(store, data_dir) as client:
                plan = scenarios(client, store, sample(url, w, args.communities))
                print(f"  {kind}: {args.repeat} calls each over HTTP (ms)", flush=True)
                results[kind] = run(client, plan, args.repeat)
                if args.explain and kind == "postgresql":
                    explain(url, client, plan)
        finally:
            store.close()
            if not args.keep and not reuse:
                if kind == "postgresql":
                    drop_pg(url)
                else:
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            elif not reuse:
                print(f"  kept: {url}")
    if len(results) == 2:
        print(f"\n{'query':<44}{'PostgreSQL p50/p95':>22}{'SQLite p50/p95':>22}")
        for name in results["postgresql"]:
            pg, lite = results["postgresql"][name], results["sqlite"][name]
            print(f"{name:<44}{pct(pg, 50):>12.1f} /{pct(pg, 95):>7.1f}{pct(lite, 50):>14.1f} /{pct(lite, 95):>7.1f}")


if __name__ == "__main__":
    main()
