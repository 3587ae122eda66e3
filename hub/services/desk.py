"""The service desk: a service request (a kiosk's 法律咨询 / 矛盾调解 / 报修 check-in, a home visit's need, or one
made in the control room) becomes a service case routed to the role configured for its unit.

Routing (``hub/services/routing.py`` + ``service_routes``): the kind names a category (its time limit is the
service's) and a role - the nearest unit up the chain with a ``service_routes`` row decides, else the defaults
(legal → legal_adviser, mediation → mediator, repair → property_contact, welfare → grid_worker, other → the
control room). The person is the first with that role from the unit up (a need's level - 网格 / 社区 / 街道 - starts
the search at that level). ``system`` files the case and dispatches it to them in the same transaction
(``CaseService.open_case``); with nobody to take it the case waits, filed, for the control room (指挥中心).
From there it is any case: the phone's task, accept / arrive / resolve, verify, close, 回访.

Idempotent by the source (the check-in's record id, the visit id + need index): a pass that died half-way is
finished by the next; the check-in's receipt code lets the kiosk show the case reference (查进度 lookup).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.cases import repo as case_repo
from hub.cases.rows import CaseRow
from hub.cases.service import CaseService
from hub.org import repo as org_repo
from hub.services import repo, routing
from hub.store import HubStore
from hub.store import records as record_rows
from hub.store.rows import RecordRow
from protocol import ResidentCheckin

log = logging.getLogger(__name__)

LOOKBEHIND = timedelta(seconds=60)  # batches of several hub workers may commit slightly out of receive order


class ServiceRefused(ValueError):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class Opened:
    case: CaseRow
    request: repo.ServiceRequest
    created: bool


class ServiceDesk:
    def __init__(self, store: HubStore, cases: CaseService, *, clock: Callable[[], datetime] | None = None,
                 batch: int = 200):
        self.store, self.cases, self.batch = store, cases, batch
        self.clock = clock or cases.clock
        self.cursor: datetime | None = None
        self.opened = 0
        self.failed = 0

    # -- routing ------------------------------------------------------------------------------------------------
    def route(self, conn: sa.Connection, unit_code: str | None, kind: str, level: str | None = None) -> routing.Route:
        chain = [(u.code, u.level) for u in org_repo.unit_chain(conn, unit_code)]
        role = routing.configured_role(chain, kind, repo.routes_for(conn, [c for c, _ in chain]))
        if role is None:
            return routing.Route(None, None, None)
        for code, _ in routing.from_level(chain, level):
            people = org_repo.people_at(conn, code, [role])
            if people:
                return routing.Route(role, people[0], code)
        return routing.Route(role, None, None)

    # -- opening ------------------------------------------------------------------------------------------------
    def open_request(self, kind: str, *, source_id: str, origin: str, unit_code: str | None, note: str = "",
                     at: datetime | None = None, resident_key: str | None = None, visit_id: str | None = None,
                     need_level: str | None = None, receipt_code: str | None = None, source: str = "device",
                     position: tuple[float, float, float] | None = None) -> Opened:
        if kind not in routing.SERVICE_KINDS:
            raise ServiceRefused("bad_kind", f"未知服务类别 {kind}", f"unknown service kind {kind!r}")
        with self.store.read() as conn:
            seen = repo.request_by_source(conn, source_id)
            chain = org_repo.unit_chain(conn, unit_code)
            route = self.route(conn, unit_code, kind, need_level)
        grid = next((u.code for u in chain if u.level == "grid"), None)
        community = next((u.code for u in chain if u.level == "community"), None)
        zh, en = routing.LABELS[kind]
        case = self.cases.open_case(
            source_id, routing.CATEGORIES[kind], grid_code=grid, community_code=community,
            title=f"{zh}（{'入户走访' if origin == 'visit' else '网格终端机' if origin == 'kiosk' else '窗口'}）",
            note=note, at=at, position=position, route_reason=f"service_{kind}"[:24],
            dispatch_to=[route.person] if route.person else [], receipt_code=receipt_code, source=source).case
        if seen is not None:
            return Opened(case, seen, False)
        if case.public_note is None:  # Open311 publishes this, never the resident's own words (private)
            with self.store.write() as conn:
                case_repo.set_public_note(conn, case.id, f"{zh}服务请求 / {en} request", "system", self.clock())
        values = {"case_id": case.id, "kind": kind, "origin": origin, "source_id": source_id, "visit_id": visit_id,
                  "unit_code": unit_code, "community_code": community, "need_level": need_level,
                  "routed_role": route.role, "routed_to": route.person, "resident_key": resident_key,
                  "created_at": self.clock(), "outcome": None, "outcome_at": None, "outcome_by": None}
        with self.store.write() as conn:
            created = repo.insert_request(conn, values)
            row = repo.request_by_source(conn, source_id)
        assert row is not None
        if case.state != "dispatched":
            log.info("service case %s (%s, %s) waits for the control room: nobody with role %s", case.id, kind,
                     unit_code, route.role)
        return Opened(case, row, created)

    # -- kiosk check-ins ----------------------------------------------------------------------------------------
    def take_checkin(self, record: RecordRow) -> str | None:
        """Open the service case of one stored check-in (none for a wellbeing one); the case id."""
        now = self.clock()
        try:
            checkin = ResidentCheckin.model_validate_json(record.payload)
        except ValueError:
            with self.store.write() as conn:
                repo.mark_checkin(conn, record.id, "unreadable", None, now)
            return None
        kind = routing.CHECKIN_KINDS.get(checkin.checkin_kind)
        if kind is None:
            with self.store.write() as conn:
                repo.mark_checkin(conn, record.id, "not_service", None, now)
            return None
        with self.store.read() as conn:
            unit = org_repo.device_unit(conn, record.device_id)
        pos = checkin.position
        opened = self.open_request(
            kind, source_id=record.id, origin="kiosk", unit_code=unit, note=checkin.note, at=record.device_time,
            resident_key=checkin.resident_key, receipt_code=record.id[-6:],
            position=(pos.lat, pos.lon, pos.accuracy_m) if pos else None)
        with self.store.write() as conn:
            repo.mark_checkin(conn, record.id, "opened", opened.case.id, now)
        self.opened += opened.created
        return opened.case.id

    def run_once(self) -> int:
        since = self.cursor - LOOKBEHIND if self.cursor is not None else None
        with self.store.read() as conn:
            found = record_rows.untaken(conn, "checkin", repo.checkin_taken, since=since, limit=self.batch)
        for record in found:
            try:
                self.take_checkin(record)
            except Exception:
                self.failed += 1
                log.exception("service intake: check-in %s not taken; retried next pass", record.id)
        if found:
            self.cursor = max(self.cursor or found[-1].received_at, found[-1].received_at)
        elif self.cursor is None:
            self.cursor = self.clock()
        return len(found)

    # -- outcome ------------------------------------------------------------------------------------------------
    def record_outcome(self, case_id: str, outcome: str, by: str) -> repo.ServiceRequest:
        if outcome not in routing.OUTCOMES:
            raise ServiceRefused("bad_outcome", f"未知结果 {outcome}", f"unknown outcome {outcome!r}")
        with self.store.write() as conn:
            if repo.request(conn, case_id) is None:
                raise ServiceRefused("not_service", "不是服务案件", "not a service case")
            repo.set_outcome(conn, case_id, outcome, self.clock(), by)
            row = repo.request(conn, case_id)
        assert row is not None
        return row
