"""待研判 (triage), the control room's own cases, urgent alarms and who a case can go to.

**The triage queue.** Auto-dispatch (hub/cases/dispatch.py) files and dispatches a report only when nothing needs a
person's judgement; everything else stays ``reported``. :meth:`Triage.queue` lists those cases (in the operator's
scope, the red and urgent first, then the oldest) with the reasons they wait - the router was unsure
(``straddles_boundary``, ``near_grid``), the report fell outside every grid (``community_fallback``,
``unassigned``), the category is unknown or disabled, the GPS accuracy is worse than ``low_accuracy_m``, or the
grid has no grid leader to dispatch to (``no_grid_leader``) - and the grids it may belong to, with their outlines.
Labels: ``protocol.labels`` ``triage.<code>``. An operator then

- **files** it (分拨立案) into a grid of their scope, with a category that exists and is enabled: the case moves to
  the grid (its community follows) and is filed in one transaction; it is dispatched to that grid's leader at once
  when there is one (as auto-dispatch would have), else it stays filed and the answer says so;
- **merges** it (并案) into an open case of their scope: not filed "并入 FS-… / merged into FS-…", and the target
  counts its reports and rises a level, as with an automatic duplicate;
- **rejects** it (不予立案) with a reason.

**The control room's cases** (电话/来访/热线/巡查). A call becomes a report of the virtual source ``control-room``,
stored by the batch writer like a kiosk's (photos as that source's chunks), and its case is opened by
``CaseService.open_case_in`` - in the SAME transaction, so the background intake never takes the record in with a
routing of its own. Placed by its position (the intake's grid router), or in the grid the operator picked; without
a position the report carries the grid's representative point (the protocol needs one) and the case none. The
trail names the person who took the call (a note of theirs). Privacy: the caller's contact is never stored (the
hub keeps residents only as keyed hashes; a call-back number belongs in the hotline's own system); the
description (with the address) is the report's text, which Open311 publishes only redacted or as approved.

**Alarms.** An urgent case's alarm (``cases.alarm_at``, raised by CaseService) stays on the dashboard until someone
acknowledges it; the acknowledgement is recorded on the case and on its trail.

**Assignees.** The field staff of the operator's scope near the case - its grid, its community's other grids and
the community, then the rest of its street - grouped by unit, nearest first, each saying whether a phone of theirs
can receive the task.

Scope checks follow the rule for paths: an id in a body outside the operator's scope is refused as if absent (422
with a code, zh and en; :class:`IllegalTransition`). The scope is passed in (:class:`Scope`: hub.auth's
``OperatorScope``), since hub.cases may not import hub.auth.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import shapely
import sqlalchemy as sa
from shapely.geometry import Point, shape

from hub.cases import repo, states
from hub.cases.intake import UNROUTED, CaseIntake
from hub.cases.recipients import grid_leader
from hub.cases.rows import CaseRow
from hub.cases.service import LIVE_STATES, CaseConflict, CaseService
from hub.cases.states import IllegalTransition
from hub.org import repo as org_repo
from hub.org.repo import Person, Unit
from hub.org.routing import M_PER_DEG, GridRouter, RouteResult
from hub.org.taxonomy import Category
from hub.store import HubStore
from hub.store import records as record_rows
from hub.store.vocabulary import UNIT_LEVELS
from protocol import MAX_NOTE_CHARS, IncidentReport, Position, Severity, uuid7
from protocol.labels import source_label, triage_label

CONTROL_ROOM = "control-room"  # the virtual device of the control room's cases (its reports and photos)
CALL_SOURCES = ("phone", "walk_in", "hotline", "patrol")  # what an operator may create (cases.source)
LOW_ACCURACY_M = 100.0  # a report's GPS accuracy worse than this waits for a person to confirm the place
ROUTING_REASONS = ("straddles_boundary", "near_grid", "community_fallback", "unassigned")
REASONS = (*ROUTING_REASONS, "unknown_category", "disabled_category", "low_accuracy", "no_grid_leader", "flagged")
QUEUE_SCAN = 1000  # reported cases looked at per queue read (the red and the oldest first)
ROLE_ORDER = {"grid_leader": 0, "grid_worker": 1, "handler": 2, "patrol_volunteer": 3}
RELATIONS = ("case_grid", "community_grid", "community", "street", "elsewhere")  # assignee groups, nearest first


class Scope(Protocol):
    """What triage needs of the operator's scope (``hub.auth.scope.OperatorScope`` is one)."""

    @property
    def code(self) -> str: ...

    @property
    def top(self) -> bool: ...

    @property
    def case_units(self) -> sa.Select[str] | None: ...

    def sees_unit(self, unit_code: str | None) -> bool: ...

    def subtree(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Notice:
    """Something the operator should know about what was done (zh-CN first, English complete)."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str

    @classmethod
    def of(cls, code: str) -> Reason:
        return cls(code, triage_label(code), triage_label(code, "en"))


@dataclass(frozen=True)
class Candidate:
    grid_code: str
    grid_name: str
    share: float | None  # of the report's accuracy circle in the grid (None: not measured)
    geometry: dict[str, Any] | None  # GeoJSON, WGS-84
    in_scope: bool  # the operator may file into it


@dataclass(frozen=True)
class TriageItem:
    case: CaseRow
    reasons: list[Reason]
    candidates: list[Candidate]


@dataclass(frozen=True)
class Call:
    """A case the control room takes in (a phone call, a visit, a hotline transfer, a patrol's word)."""

    source: str
    category_code: str
    note: str
    severity: str = "normal"
    position: tuple[float, float, float] | None = None  # lat, lon, accuracy_m
    grid_code: str | None = None
    address: str = ""
    reporter_contact: str | None = None  # never stored
    photos: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class Opened:
    case: CaseRow
    created: bool  # False: joined an open case nearby (a duplicate report)
    notices: list[Notice]


@dataclass(frozen=True)
class Alarm:
    case_id: str
    reference: str | None
    title: str
    category_code: str
    category_zh: str | None
    category_en: str | None
    level: str
    state: str
    grid_code: str | None
    grid_name: str | None
    community_code: str | None
    alarm_at: datetime


@dataclass(frozen=True)
class Assignee:
    id: str
    name: str
    role: str
    can_receive: bool  # has a phone the task reaches
    is_assignee: bool  # the case is with them now


@dataclass(frozen=True)
class AssigneeGroup:
    unit_code: str
    unit_name: str
    level: str | None
    relation: str  # case_grid | community_grid | community | street | elsewhere
    people: list[Assignee]


def refused(code: str, zh: str, en: str) -> IllegalTransition:
    return IllegalTransition(code, zh, en)


def nearest_community(router: GridRouter, lat: float, lon: float) -> str | None:
    """The community whose grids lie nearest the point (metres, a local projection as the router's)."""
    kx = M_PER_DEG * math.cos(math.radians(lat))

    def distance(territory: shapely.Geometry) -> float:
        local = shapely.transform(territory, lambda xy: (xy - (lon, lat)) * (kx, M_PER_DEG))
        return float(local.distance(Point(0, 0)))

    ranked = sorted(router.communities.items(), key=lambda item: (distance(item[1]), item[0]))
    return ranked[0][0] if ranked else None


def stand_in_position(unit: Unit) -> Position:
    """For a report placed by its grid alone: a point inside the grid, with an accuracy that covers all of it."""
    if not unit.geometry:
        raise refused("position_required", f"网格 {unit.code} 没有边界数据，请在地图上标出位置",
                      f"grid {unit.code} has no outline: mark the place on the map")
    area = shape(unit.geometry)
    point = area.representative_point()
    kx = M_PER_DEG * math.cos(math.radians(point.y))
    hull = area.convex_hull.exterior.coords if area.convex_hull.geom_type == "Polygon" else [(point.x, point.y)]
    radius = max(math.hypot((x - point.x) * kx, (y - point.y) * M_PER_DEG) for x, y in hull)
    return Position(lat=point.y, lon=point.x, accuracy_m=min(math.ceil(radius), 100_000))


class Triage:
    def __init__(self, store: HubStore, service: CaseService, *, intake: CaseIntake | None = None,
                 low_accuracy_m: float = LOW_ACCURACY_M):
        self.store = store
        self.service = service
        self.intake = intake  # the running intake's router (cached) when there is one
        self.low_accuracy_m = low_accuracy_m

    def router(self) -> GridRouter | None:
        return (self.intake or CaseIntake(self.store, self.service)).router()

    # -- shared checks -----------------------------------------------------------------------------
    def _categories(self) -> _CategoryCache:
        return _CategoryCache(self.service)

    def require_category(self, code: str) -> Category:
        category = self.service.category(code)
        if category is None or not category.enabled:
            raise refused("unknown_category", f"类别 {code} 不存在或已停用，请另选类别",
                          f"category {code!r} is unknown or disabled: pick another")
        return category

    def grid_in_scope(self, code: str, scope: Scope) -> Unit:
        """A grid the operator may place a case in (refused as absent otherwise)."""
        with self.store.read() as conn:
            unit = org_repo.unit(conn, code)
        if unit is None or unit.level != "grid" or not scope.sees_unit(code):
            raise refused("grid_out_of_scope", f"网格 {code} 不存在或不在您的管辖范围内",
                          f"no grid {code!r} in your scope")
        return unit

    def case(self, case_id: str) -> CaseRow:
        found = self.service.get(case_id)
        if found is None:
            raise CaseConflict(f"no case {case_id}")
        return found

    # -- the queue ---------------------------------------------------------------------------------
    def reasons(self, case: CaseRow, category: Category | None, has_leader: bool) -> list[str]:
        """Why a reported case waits for a person (empty: it does not - auto-dispatch takes it)."""
        codes: list[str] = []
        if case.route_reason in ROUTING_REASONS and (case.flagged_for_review or case.grid_code is None):
            codes.append(case.route_reason)
        elif case.grid_code is None:
            codes.append("community_fallback" if case.community_code else "unassigned")
        if category is None:
            codes.append("unknown_category")
        elif not category.enabled:
            codes.append("disabled_category")
        if case.accuracy_m is not None and case.accuracy_m > self.low_accuracy_m:
            codes.append("low_accuracy")
        if case.grid_code is not None and not has_leader:
            codes.append("no_grid_leader")
        if case.flagged_for_review and not codes:
            codes.append("flagged")  # e.g. its category was enabled again since
        return codes

    def queue(self, scope: Scope, *, limit: int = 200) -> list[TriageItem]:
        """The reported cases in scope that wait for a person, the red and urgent first, then the oldest."""
        categories = self._categories()
        items: list[TriageItem] = []
        with self.store.read() as conn:
            cached = _UnitCache(conn)
            leaders: dict[str, bool] = {}
            for case in repo.waiting_reported(conn, scope.case_units, QUEUE_SCAN):
                grid = case.grid_code
                if grid is not None and grid not in leaders:
                    leaders[grid] = grid_leader(conn, grid) is not None
                codes = self.reasons(case, categories.get(case.category_code), leaders.get(grid or "", False))
                if not codes:
                    continue
                items.append(TriageItem(case, [Reason.of(c) for c in codes],
                                        self._candidates(case, codes, cached, scope)))
                if len(items) >= limit:
                    break
        return items

    def _candidates(self, case: CaseRow, codes: list[str], units: _UnitCache, scope: Scope) -> list[Candidate]:
        shares: dict[str, float | None] = {}
        for pair in case.route_candidates or []:
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str):
                shares.setdefault(pair[0], float(pair[1]) if isinstance(pair[1], (int, float)) else None)
        if case.grid_code is not None:
            shares.setdefault(case.grid_code, None)
        if "community_fallback" in codes or "unassigned" in codes:
            community = case.community_code
            if community is None and case.lat is not None and case.lon is not None:
                router = self.router()
                community = nearest_community(router, case.lat, case.lon) if router else None
            for grid in units.grids_of(community):
                shares.setdefault(grid.code, None)
        found: list[Candidate] = []
        for code, share in shares.items():
            unit = units.get(code)
            if unit is not None and unit.level == "grid":
                found.append(Candidate(code, unit.name, share, unit.geometry, scope.sees_unit(code)))
        return found

    # -- the actions -------------------------------------------------------------------------------
    def file(self, case_id: str, *, actor: Person, operator_id: str | None, scope: Scope, grid_code: str | None,
             category_code: str | None, note: str = "", expected_version: int | None = None) -> tuple[CaseRow,
                                                                                                     list[Notice]]:
        case = self.case(case_id)
        grid, community = case.grid_code, case.community_code
        if grid_code is not None:
            unit = self.grid_in_scope(grid_code, scope)
            grid, community = unit.code, unit.parent_code
        elif grid is None:
            raise refused("grid_required", "立案前请选择所属网格", "pick the grid to file the case in")
        self.require_category(category_code or case.category_code)
        self.service.file_in_grid(case_id, actor.id, grid_code=grid, community_code=community,
                                  category_code=category_code, note=note, expected_version=expected_version,
                                  operator_id=operator_id)
        notices = self._dispatch_to_leader(case_id, grid, actor, operator_id)
        return self.case(case_id), notices

    def _dispatch_to_leader(self, case_id: str, grid: str, actor: Person, operator_id: str | None) -> list[Notice]:
        """As auto-dispatch would: the grid leader takes it at once, when the grid has one."""
        with self.store.read() as conn:
            leader = grid_leader(conn, grid)
            who = org_repo.person(conn, leader) if leader else None
            phones = org_repo.phones_of(conn, [leader]).get(leader, []) if leader else []
        if leader is None or who is None:
            return [Notice("no_grid_leader", f"已立案。网格 {grid} 没有网格长，未自动派遣，请选择处置人派遣",
                           f"filed; grid {grid} has no grid leader, so nobody was dispatched: pick an assignee")]
        try:
            self.service.transition(case_id, "dispatch", actor.id, assignee=leader, origin="api",
                                    note="分拨立案后派给网格长 / dispatched to the grid leader after triage",
                                    operator_id=operator_id)
        except (IllegalTransition, CaseConflict) as exc:
            zh, en = (exc.zh, exc.en) if isinstance(exc, IllegalTransition) else ("案件已被他人更新", str(exc))
            return [Notice("not_dispatched", f"已立案，但未能派给网格长 {who.name}：{zh}",
                           f"filed, but not dispatched to the grid leader {who.name}: {en}")]
        notices = [Notice("dispatched_to_grid_leader", f"已立案并派给网格长 {who.name}",
                          f"filed and dispatched to the grid leader {who.name}")]
        if not phones:
            notices.append(Notice("assignee_unreachable",
                                  f"网格长 {who.name} 未绑定手机，任务无法推送到终端，请电话或当面通知",
                                  f"the grid leader {who.name} has no bound phone: the task cannot reach a terminal, "
                                  "so tell them by phone or in person"))
        return notices

    def find_case(self, ref: str) -> CaseRow | None:
        """A case by its id or its reference (FS-20261204-0042)."""
        with self.store.read() as conn:
            return repo.case(conn, ref) or repo.case_by_reference(conn, ref.strip().upper())

    def merge(self, case_id: str, *, actor: Person, operator_id: str | None, scope: Scope, merge_into: str,
              note: str = "", expected_version: int | None = None) -> tuple[CaseRow, list[Notice]]:
        target = self.find_case(merge_into)
        if target is None or not scope.sees_unit(target.grid_code or target.community_code):
            raise refused("merge_target_out_of_scope", f"案件 {merge_into} 不存在或不在您的管辖范围内",
                          f"no case {merge_into!r} in your scope to merge into")
        outcome = self.service.merge(case_id, target.id, actor.id, note=note, expected_version=expected_version,
                                     operator_id=operator_id)
        ref = target.reference or target.id
        return outcome.case, [Notice("merged", f"已并入 {ref}", f"merged into {ref}")]

    def reject(self, case_id: str, *, actor: Person, operator_id: str | None, reason: str, note: str = "",
               expected_version: int | None = None) -> tuple[CaseRow, list[Notice]]:
        outcome = self.service.transition(case_id, "not_file", actor.id, reason=reason, note=note, origin="api",
                                          expected_version=expected_version, operator_id=operator_id)
        return outcome.case, []

    # -- the control room's cases ----------------------------------------------------------------
    def create(self, call: Call, *, actor: Person, operator_id: str | None, scope: Scope) -> Opened:
        """Take a call in: the same intake as a kiosk's report (see the module doc). Refusals are raised before
        anything is stored."""
        if call.source not in CALL_SOURCES:
            raise refused("bad_source", f"来源须为 {'/'.join(CALL_SOURCES)}", f"source must be one of {CALL_SOURCES}")
        if call.severity not in {s.value for s in Severity}:
            raise refused("bad_severity", "紧急程度无效", f"unknown severity {call.severity!r}")
        self.require_category(call.category_code)
        text = call.note.strip()
        if call.address.strip():
            text = f"{text}\n地址 / address: {call.address.strip()}"
        if len(text) > MAX_NOTE_CHARS:
            raise refused("note_too_long", f"描述与地址合计不能超过 {MAX_NOTE_CHARS} 字",
                          f"the description and the address together exceed {MAX_NOTE_CHARS} characters")
        route, position, placed = self._place(call, scope)
        source_zh, source_en = source_label(call.source), source_label(call.source, "en").lower()
        taken = (f"{source_zh}受理：{actor.name}（{actor.id}）录入 / taken in by {actor.name} ({actor.id}): "
                 f"{source_en}")
        with self.store.write() as conn:
            try:
                photos = self.store.store_photos_in(conn, CONTROL_ROOM, call.photos)
            except ValueError as exc:
                raise refused("bad_photo", "照片须为 JPEG 或 PNG，且不超过 8 MiB", str(exc)) from None

            def report(seq: int, now: datetime) -> IncidentReport:
                return IncidentReport(id=uuid7(int(now.timestamp() * 1000)), device_id=CONTROL_ROOM, seq=seq,
                                      created_at=now, category=call.category_code, note=text,
                                      severity=Severity(call.severity), position=position, photos=photos)

            stored = self.store.store_local_report_in(conn, CONTROL_ROOM, report)
            [record_id] = stored.device(CONTROL_ROOM).committed
            record = record_rows.get(conn, record_id)
            assert record is not None  # stored just now, in this transaction
            opened = self.service.open_case_in(conn, record, route, source=call.source, placed=placed,
                                               taken_by=actor.id, operator_id=operator_id, note=taken)
        return Opened(opened.case, opened.created, self._created_notices(call, opened.case, opened.joined))

    def _place(self, call: Call, scope: Scope) -> tuple[RouteResult, Position, bool]:
        """(where the case goes, the report's position, whether that position is the real place)."""
        if call.grid_code is not None:
            unit = self.grid_in_scope(call.grid_code, scope)
            route = RouteResult(unit.code, unit.parent_code, 1.0, False, "operator")
            if call.position is None:
                return route, stand_in_position(unit), False
            lat, lon, acc = call.position
            return route, Position(lat=lat, lon=lon, accuracy_m=acc), True
        if call.position is None:
            raise refused("place_required", "请在地图上标出位置，或选择所属网格",
                          "give the position (lat/lon) or the grid")
        lat, lon, acc = call.position
        router = self.router()
        route = router.route(lat, lon, acc, category=call.category_code) if router is not None else UNROUTED
        if not scope.sees_unit(route.grid_code or route.community_code):
            raise refused("place_out_of_scope", "该位置不在您的管辖范围内，请核对位置或选择网格",
                          "that position is outside your scope: check it, or pick the grid")
        return route, Position(lat=lat, lon=lon, accuracy_m=acc), True

    @staticmethod
    def _created_notices(call: Call, case: CaseRow, joined: bool) -> list[Notice]:
        notices: list[Notice] = []
        ref = case.reference or case.id
        if joined:
            notices.append(Notice("joined_duplicate", f"附近已有同类在办案件 {ref}，本次受理已作为重复上报并入",
                                  f"an open case of the same category nearby ({ref}) took this call in as a "
                                  "duplicate report"))
        elif case.state == "reported" and (case.flagged_for_review or case.grid_code is None):
            notices.append(Notice("needs_triage", "位置未能确定到网格，案件已进入待研判",
                                  "the place could not be settled to one grid: the case waits in triage"))
        if case.alarm_at is not None and case.alarm_acked_at is None:
            notices.append(Notice("alarm_raised", "紧急案件：已发出告警并直报上级",
                                  "urgent: the alarm is raised and the levels above are informed at once"))
        if call.reporter_contact:
            notices.append(Notice("contact_not_stored", "来电人联系方式未保存（个人信息保护），如需回访请记入热线系统",
                                  "the caller's contact was not stored (personal data); keep any call-back in the "
                                  "hotline's own system"))
        return notices

    # -- alarms ------------------------------------------------------------------------------------
    def alarms(self, scope: Scope, *, limit: int = 200) -> list[Alarm]:
        categories = self._categories()
        with self.store.read() as conn:
            rows = repo.open_alarms(conn, scope.case_units, limit)
            units = _UnitCache(conn)
            names = {row.grid_code: units.name(row.grid_code) for row in rows if row.grid_code}
        found: list[Alarm] = []
        for row in rows:
            assert row.alarm_at is not None  # open_alarms: raised ones only
            category = categories.get(row.category_code)
            found.append(Alarm(row.id, row.reference, row.title, row.category_code,
                               category.name_zh if category else None, category.name_en if category else None,
                               row.level, row.state, row.grid_code, names.get(row.grid_code or ""),
                               row.community_code, row.alarm_at))
        return found

    def acknowledge(self, case_id: str, *, actor: Person, operator_id: str | None) -> tuple[CaseRow, list[Notice]]:
        case, now = self.service.acknowledge_alarm(case_id, actor.id, operator_id=operator_id)
        if now:
            return case, []
        return case, [Notice("already_acknowledged", "该告警此前已确认", "the alarm had been acknowledged already")]

    # -- who a case can go to ----------------------------------------------------------------------
    def assignees(self, case: CaseRow, scope: Scope, *, wider: bool = False) -> list[AssigneeGroup]:
        """Field staff of the operator's scope who can take the case, grouped by their unit, nearest first (the
        case's grid, its community's other grids, the community, the rest of its street; ``wider``: the whole
        scope). Those whose phone the task reaches first in each group, then grid leaders first."""
        with self.store.read() as conn:
            chain = org_repo.unit_chain(conn, case.grid_code or case.community_code)
            street = next((link.code for link in chain if link.level == "street"), None)
            base = scope.code if wider or street is None else street
            mine = None if scope.top else scope.subtree()
            people = [p for p in org_repo.people_within(conn, base, on_duty=True)  # not those off duty
                      if p.role in states.FIELD_ROLES and (mine is None or p.unit_code in mine)]
            phones = org_repo.phones_of(conn, [p.id for p in people])
            tree = org_repo.unit_tree(conn)
            within = org_repo.unit_subtree(base)
            levels = {code: level for level in UNIT_LEVELS for code in org_repo.unit_names(conn, level, within)}
        community = case.community_code or next((link.code for link in chain if link.level == "community"), None)

        def relation(unit_code: str) -> str:
            if unit_code == case.grid_code:
                return "case_grid"
            parent = tree.get(unit_code, ("", None))[1]
            if community is not None and parent == community and levels.get(unit_code) == "grid":
                return "community_grid"
            if unit_code == community:
                return "community"
            if street is not None and _under(unit_code, street, tree):
                return "street"
            return "elsewhere"

        groups: dict[str, list[Assignee]] = {}
        for p in people:
            groups.setdefault(p.unit_code, []).append(
                Assignee(p.id, p.name, p.role, bool(phones.get(p.id)), p.id == case.assignee))
        ordered = sorted(groups, key=lambda code: (RELATIONS.index(relation(code)), code))
        return [AssigneeGroup(code, tree.get(code, (code, None))[0], levels.get(code), relation(code),
                              sorted(groups[code], key=lambda a: (not a.can_receive, ROLE_ORDER.get(a.role, 9),
                                                                  a.name, a.id)))
                for code in ordered]


def _under(code: str, ancestor: str, tree: dict[str, tuple[str, str | None]]) -> bool:
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        current = tree.get(current, ("", None))[1]
    return False


class _CategoryCache:
    """Categories looked up once per read (the service's, so an injected taxonomy is honoured)."""

    def __init__(self, service: CaseService):
        self.service = service
        self.found: dict[str, Category | None] = {}

    def get(self, code: str) -> Category | None:
        if code not in self.found:
            self.found[code] = self.service.category(code)
        return self.found[code]


class _UnitCache:
    """Units (with their outlines) looked up once per read."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.units: dict[str, Unit | None] = {}
        self.community_grids: dict[str, list[Unit]] = {}

    def get(self, code: str) -> Unit | None:
        if code not in self.units:
            self.units[code] = org_repo.unit(self.conn, code)
        return self.units[code]

    def name(self, code: str) -> str | None:
        unit = self.get(code)
        return unit.name if unit else None

    def grids_of(self, community: str | None) -> Iterable[Unit]:
        if community is None:
            return []
        if community not in self.community_grids:
            grids = [u for u in org_repo.units_listed(self.conn, level="grid", within=community)]
            self.community_grids[community] = grids
            self.units.update({u.code: u for u in grids})
        return self.community_grids[community]


__all__ = ["CALL_SOURCES", "CONTROL_ROOM", "LIVE_STATES", "LOW_ACCURACY_M", "REASONS", "Alarm", "Assignee",
           "AssigneeGroup", "Call", "Candidate", "Notice", "Opened", "Reason", "Scope", "Triage", "TriageItem"]
