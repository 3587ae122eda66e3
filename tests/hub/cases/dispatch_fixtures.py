"""A small org (city → grid) with people, phones and a kiosk, and helpers for the dispatch / action /
escalation tests. Times start Monday 09:00 Shanghai so working-hour deadlines are easy to reason about."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.cases import CaseService, LevelPolicy
from hub.cases.dispatch import Dispatcher
from hub.org.calendar import WorkCalendar
from hub.org.repo import DeviceBinding, Person, Unit, save_device_bindings, save_people, save_units
from hub.org.routing import RouteResult
from hub.org.taxonomy import Category
from hub.store.rows import RecordRow
from hub.store.tables import department_contacts, downlinks
from protocol import TaskBody, uuid7

MONDAY_9 = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
CITY, DISTRICT, STREET, COMMUNITY = "440400", "440402", "440402004", "440402004005"
GRID, GRID2 = "440402004005001", "440402004005002"
INSIDE = RouteResult(GRID, COMMUNITY, 1.0, False, "inside")
STRADDLING = RouteResult(GRID, COMMUNITY, 0.6, True, "straddles_boundary")
PHOTO = "ab" * 32
FIX = {"note": "已清理", "evidence": [PHOTO], "position": (22.25, 113.52, 4.0)}

# person id → (role, unit, phone)
STAFF = {
    "g1": ("grid_leader", GRID, "phone-g1"), "w1": ("grid_worker", GRID, "phone-w1"),
    "g2": ("grid_leader", GRID2, "phone-g2"),
    "d1": ("dispatcher", COMMUNITY, "phone-d1"), "p1": ("handler", COMMUNITY, "phone-p1"),
    "s1": ("supervisor", STREET, "phone-s1"), "z1": ("supervisor", DISTRICT, "phone-z1"),
    "c1": ("supervisor", CITY, "phone-c1"),
}


def category(code: str, hours: int = 4, department: str | None = None, enabled: bool = True) -> Category:
    return Category(code=code, kind="event", major_code=code[1:3], minor_code=code[3:5], name_zh="暴露垃圾",
                    name_en="exposed rubbish", filing_conditions="", closing_conditions="", time_limit_value=hours,
                    time_limit_unit="working_hours", department=department, enabled=enabled)


CATEGORIES = {c.code: c for c in (category("E0101"), category("E0504", hours=2, department="物业服务企业"),
                                  category("E0999", enabled=False))}


def load_org(store, clock) -> None:
    units = [Unit(CITY, "city", "珠海市"), Unit(DISTRICT, "district", "香洲区", CITY),
             Unit(STREET, "street", "前山街道", DISTRICT), Unit(COMMUNITY, "community", "福石社区", STREET),
             Unit(GRID, "grid", "福石一网格", COMMUNITY), Unit(GRID2, "grid", "福石二网格", COMMUNITY)]
    people = [Person(pid, f"人员{pid}", role, unit, phone) for pid, (role, unit, phone) in STAFF.items()]
    bindings = [DeviceBinding("kiosk-1", "kiosk", GRID), DeviceBinding("kiosk-2", "kiosk", GRID2),
                DeviceBinding("tablet-1", "tablet", GRID),  # a patrol tablet with no owner
                DeviceBinding("kiosk-office", "kiosk", COMMUNITY)]  # the community office's screen
    with store.write() as conn:
        save_units(conn, units, clock())
        save_people(conn, people)
        save_device_bindings(conn, bindings)
        conn.execute(sa.insert(department_contacts), {"department": "物业服务企业", "unit_code": COMMUNITY,
                                                      "person_id": "p1"})


def make_service(store, clock, calendar: WorkCalendar | None = None) -> CaseService:
    clock.now = MONDAY_9
    load_org(store, clock)
    return CaseService(store, clock=clock, calendar=calendar or WorkCalendar(clock=clock), categories=CATEGORIES,
                       level_policy=LevelPolicy(yellow_at=0.5, red_at=0.8))


def report(clock, code: str = "E0101", lat: float = 22.25, lon: float = 113.52, device: str = "kiosk-1") -> RecordRow:
    body = {"category": code, "note": "垃圾堆积", "position": {"lat": lat, "lon": lon, "accuracy_m": 5.0},
            "photos": [{"sha256": "cd" * 32}]}
    payload = json.dumps(body)
    return RecordRow(uuid7(), device, 1, "report", payload, hashlib.sha256(payload.encode()).hexdigest(),
                     clock(), clock())


_lon = [113.52]


def far_lon() -> float:
    _lon[0] += 0.01  # ~1 km apart: no duplicate grouping between cases of one test
    return _lon[0]


def drain(dispatcher: Dispatcher) -> None:
    for _ in range(20):
        if not dispatcher.run_once():
            return
    raise AssertionError("dispatcher did not settle")


def tasks_for(store, device_id: str) -> list[TaskBody]:
    """Task messages queued for a device, oldest first."""
    query = (sa.select(downlinks.c.body).where(downlinks.c.device_id == device_id, downlinks.c.kind == "task")
             .order_by(downlinks.c.created_at, downlinks.c.id))
    with store.engine.connect() as conn:
        return [TaskBody.model_validate_json(b) for b in conn.execute(query).scalars()]


def latest(store, device_id: str) -> TaskBody | None:
    found = tasks_for(store, device_id)
    return found[-1] if found else None


def count_downlinks(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(downlinks)).scalar_one()


def tick(clock, seconds: float = 1.0) -> None:
    clock.now += timedelta(seconds=seconds)
