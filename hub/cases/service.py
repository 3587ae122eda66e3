"""``CaseService``: opens cases from reports and moves them through the closed loop.

Every change writes the case row and its audit event in ONE transaction. The row carries a ``version``
for optimistic concurrency; the trail (``case_events``) is append-only and :meth:`CaseService.replay`
rebuilds the state from it. Device transitions (made offline, uploaded later) are idempotent by
``client_event_id`` and are never refused silently: a stale one is recorded as a rejected event.

An API transition also records the signed-in account (``case_events.operator_id``). The verifier ≠ resolver
rule holds for the person (the state machine) AND for the account: an account that resolved a case cannot
verify it, whoever it is linked to by then.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.cases import repo, states, timing
from hub.cases.recipients import case_chain
from hub.cases.rows import CaseEvent, CaseRow, DeviceTransition, OpenResult, TransitionOutcome
from hub.cases.states import CaseState, Context, IllegalTransition
from hub.org import repo as org_repo
from hub.org.calendar import WorkCalendar
from hub.org.routing import M_PER_DEG, RouteResult
from hub.org.taxonomy import Category, get_category
from hub.org.workdays import official_calendar
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.store.rows import RecordRow
from hub.store.vocabulary import SEVERITIES
from protocol import uuid7

LIVE_STATES = tuple(states.OPEN | {"suspended"})
OPEN311_SOURCE = "open311"  # the virtual device of Open311 requests (hub/open311/facade.py SOURCE_DEVICE)
ESCALATION_ORDER = ("grid", "community", "street", "district", "city")


class CaseConflict(RuntimeError):
    """The case changed since the caller read it (version mismatch), or the id is unknown."""


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine; plenty for 'within tens of metres'."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


class CaseService:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now,
                 calendar: WorkCalendar | None = None, categories: Mapping[str, Category] | None = None,
                 duplicate_radius_m: float = 30.0, level_policy: timing.LevelPolicy | None = None,
                 urgent_notify_level: str = "city"):
        if urgent_notify_level not in ESCALATION_ORDER[1:]:
            raise ValueError(f"urgent_notify_level must be one of {', '.join(ESCALATION_ORDER[1:])}")
        self.db = db
        self.urgent_notify_level = urgent_notify_level
        self.clock = clock
        # The hub passes the deployment's calendar (hub.org.workdays.deployment_calendar: official days, local
        # overrides, office hours); without one, the official mainland days and default office hours.
        self.calendar = calendar or official_calendar(clock)
        self._categories = dict(categories) if categories is not None else None  # None: read the table
        self.duplicate_radius_m = duplicate_radius_m
        self.level_policy = level_policy or timing.LevelPolicy()

    def category(self, code: str | None) -> Category | None:
        if code is None:
            return None
        if self._categories is not None:
            return self._categories.get(code)
        return get_category(self.db, code)

    # -- reads ----------------------------------------------------------------------------------
    def get(self, case_id: str) -> CaseRow | None:
        with self.db.read() as conn:
            return repo.case(conn, case_id)

    def events(self, case_id: str) -> list[CaseEvent]:
        with self.db.read() as conn:
            return repo.events(conn, case_id)

    def replay(self, case_id: str) -> CaseState:
        """The state rebuilt from the applied events alone; raises if the trail contradicts itself."""
        case = CaseState()
        for event in self.events(case_id):
            if event.outcome != "applied" or event.transition in states.NON_STATE_EVENTS:
                continue
            ctx = Context(actor=event.actor, role="replay", assignee=event.assignee)
            case = states.TRANSITIONS[event.transition].target(case, ctx)
            if case.state != event.to_state:
                raise AssertionError(f"trail of {case_id} broken at seq {event.seq}: {case.state} != {event.to_state}")
        return case

    # -- reports → cases ------------------------------------------------------------------------
    def open_case_from_report(self, record: RecordRow, route: RouteResult, *, source: str | None = None) -> OpenResult:
        """A new case for a report, or the open case it duplicates (same category within the radius).
        Idempotent by the report's record id, also under concurrent callers (unique client_event_id). ``source``:
        where the report came from (default: the device, or Open311 for its virtual source)."""
        source = source or ("open311" if record.device_id == OPEN311_SOURCE else "device")
        for attempt in range(2):
            try:
                with self.db.write() as conn:
                    return self._open(conn, record, route, source)
            except sa.exc.IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")  # the second attempt returns or raises

    def _open(self, conn: sa.Connection, record: RecordRow, route: RouteResult, source: str, *,
              placed: bool = True) -> OpenResult:
        key = f"{repo.REPORT_EVENT_PREFIX}{record.id}"
        seen = repo.case_of_client_event(conn, key)
        if seen is not None:
            return OpenResult(self._row(conn, seen), created=False, joined=False)
        body = record.payload_dict()
        # placed=False: the report's position only stands in for the grid an operator chose (a call without a
        # position): the case gets no position, and so joins no twin "at the same place".
        pos = (body.get("position") or {}) if placed else {}
        lat, lon, acc = pos.get("lat"), pos.get("lon"), pos.get("accuracy_m")
        code, now = body["category"], self.clock()
        base = {"transition": "report", "actor": "system", "actor_device": record.device_id, "at": record.device_time,
                "received_at": now, "lat": lat, "lon": lon, "accuracy_m": acc, "note": body.get("note", ""),
                "evidence": [p["sha256"] for p in body.get("photos", []) if "sha256" in p], "origin": "system",
                "client_event_id": key}
        twin = self._open_twin(conn, code, lat, lon) if lat is not None and lon is not None else None
        if twin is not None:
            repo.join_duplicate(conn, twin.id, timing.bump_level(twin.level), now)
            repo.insert_event(conn, twin.id, base | {"transition": "duplicate", "from_state": twin.state,
                                                     "to_state": twin.state})
            return OpenResult(self._row(conn, twin.id), created=False, joined=True)
        category = self.category(code)
        severity = body.get("severity") if body.get("severity") in SEVERITIES else None
        case_id = self._insert_case(conn, now, category, severity, {
            "category_code": code, "grid_code": route.grid_code, "community_code": route.community_code,
            "title": category.name_zh if category else code, "note": body.get("note", ""), "lat": lat, "lon": lon,
            "accuracy_m": acc, "route_reason": route.reason, "source_record_id": record.id, "source": source,
            "receipt_code": record.id[-6:],
            "route_candidates": [list(c) for c in route.candidates] or None,
            # An unknown or disabled category needs a person to pick the right one before filing.
            "flagged_for_review": route.flagged_for_review or category is None or not category.enabled})
        repo.insert_event(conn, case_id, base | {"from_state": None, "to_state": "reported"})
        self._sound_alarm(conn, case_id, now)
        return OpenResult(self._row(conn, case_id), created=True, joined=False)

    def _insert_case(self, conn: sa.Connection, now: datetime, category: Category | None, severity: str | None,
                     values: dict[str, Any]) -> str:
        """Insert a new case: its id, its reference (FS-20261204-0042: community, local day, counter) and its
        starting colour from the category and the reporter's urgency; an urgent one raises the dashboard alarm."""
        case_id = uuid7(int(now.timestamp() * 1000))
        urgent = severity == "urgent" or bool(category and category.urgent)
        level = "red" if urgent else "yellow" if severity == "high" else "blue"
        prefix = org_repo.reference_prefix(conn, values.get("community_code"))
        day = now.astimezone(self.calendar.tz).date()
        reference = f"{prefix}-{day:%Y%m%d}-{repo.next_reference_number(conn, prefix, day):04d}"
        repo.insert_case(conn, {"state": "reported", "level": level, "severity": severity, "report_count": 1,
                                "reference": reference, "alarm_at": now if urgent else None, "created_at": now,
                                "updated_at": now, "version": 1} | values | {"id": case_id})
        return case_id

    def _sound_alarm(self, conn: sa.Connection, case_id: str, now: datetime) -> None:
        """An urgent case (the reporter said 紧急, or its category is 重大) reaches every level up to
        ``urgent_notify_level`` at once - the dispatcher informs their people - and stays on the dashboard's alarm
        until an operator acknowledges it. Wall-clock time on purpose: urgency does not wait for office hours."""
        case = self._row(conn, case_id)
        if case.alarm_at is None:
            return
        chain = case_chain(conn, case)
        levels = [u.level for u in chain]
        wanted = ESCALATION_ORDER[:ESCALATION_ORDER.index(self.urgent_notify_level) + 1]
        reached = [u for u in chain if u.level in wanted and u.level != "grid"]
        if not reached:
            return
        top = max(reached, key=lambda u: levels.index(u.level))
        repo.escalate_row(conn, case_id, escalation_level=top.level, at=now, level=case.level)
        repo.insert_event(conn, case_id, {
            "transition": "escalate", "outcome": "applied", "from_state": case.state, "to_state": case.state,
            "actor": "system", "at": now, "received_at": now, "origin": "system", "reason": "urgent",
            "note": f"紧急：直报至{top.name}（{top.code}）/ urgent: reported up to the {top.level} {top.code} at once",
            "client_event_id": f"urgent:{case_id}"})

    def open_case(self, source_id: str, category_code: str, *, grid_code: str | None,
                  community_code: str | None = None, title: str = "", note: str = "", at: datetime | None = None,
                  position: tuple[float, float, float] | None = None, route_reason: str | None = None,
                  dispatch_to: Iterable[str] = (), receipt_code: str | None = None,
                  source: str = "system") -> OpenResult:
        """A case the hub raises itself, without an incident report (e.g. a missed welfare check-in);
        ``source_id`` (≤ 36 chars) names what raised it. Idempotent by ``source_id``, also under concurrent
        callers (unique source_record_id); never joins a duplicate. With ``dispatch_to``, ``system`` files it
        and dispatches it to the first of those people the rules accept IN THE SAME TRANSACTION, so followers
        of the trail (the dispatcher's 智能派单) never see it half-way; if none fits it waits for an operator.
        ``receipt_code``: what a kiosk showed the resident (a service check-in's record id's last 6 hex digits)."""
        for attempt in range(2):
            try:
                with self.db.write() as conn:
                    seen = repo.case_id_by_source(conn, source_id)
                    if seen is not None:
                        return OpenResult(self._row(conn, seen), created=False, joined=False)
                    category, now = self.category(category_code), self.clock()
                    lat, lon, acc = position if position else (None, None, None)
                    case_id = self._insert_case(conn, now, category, None, {
                        "category_code": category_code, "grid_code": grid_code, "community_code": community_code,
                        "title": (title or (category.name_zh if category else category_code))[:128], "note": note,
                        "lat": lat, "lon": lon, "accuracy_m": acc, "route_reason": route_reason,
                        "source_record_id": source_id, "source": source, "receipt_code": receipt_code,
                        "flagged_for_review": grid_code is None or category is None or not category.enabled})
                    repo.insert_event(conn, case_id, {
                        "transition": "report", "from_state": None, "to_state": "reported", "actor": "system",
                        "at": at or now, "received_at": now, "lat": lat, "lon": lon, "accuracy_m": acc, "note": note,
                        "origin": "system", "client_event_id": f"open:{source_id}"})
                    for transition, assignee in [("file", None), *(("dispatch", person) for person in dispatch_to)]:
                        try:  # a refusal is raised before anything is written, so the transaction goes on
                            self._transition(conn, case_id, transition=transition, actor="system", assignee=assignee,
                                             reason="", note="", evidence=(), position=None, category_code=None,
                                             at=None, actor_device=None, origin="system",
                                             client_event_id=f"open:{source_id}:{transition}", expected_version=None,
                                             operator_id=None)
                        except IllegalTransition:
                            if transition == "file":
                                break  # unknown/disabled category: an operator picks one
                            continue  # this person cannot take it: try the next
                        if transition == "dispatch":
                            break
                    self._sound_alarm(conn, case_id, now)
                    return OpenResult(self._row(conn, case_id), created=True, joined=False)
            except sa.exc.IntegrityError:
                if attempt:  # the concurrent opener's row is visible on the retry
                    raise
        raise AssertionError("unreachable")

    def _open_twin(self, conn: sa.Connection, code: str, lat: float, lon: float) -> CaseRow | None:
        r = self.duplicate_radius_m
        dlat, dlon = r / M_PER_DEG, r / (M_PER_DEG * max(math.cos(math.radians(lat)), 1e-6))
        rows = repo.near_open_cases(conn, code, (lat - dlat, lat + dlat), (lon - dlon, lon + dlon), LIVE_STATES)
        near = [(distance_m(lat, lon, row.lat, row.lon), row.id, row) for row in rows
                if row.lat is not None and row.lon is not None]
        near = [n for n in near if n[0] <= r]
        return min(near)[2] if near else None

    # -- transitions ----------------------------------------------------------------------------
    def transition(self, case_id: str, transition: str, actor: str, *, assignee: str | None = None,
                   reason: str = "", note: str = "", evidence: Iterable[str] = (),
                   position: tuple[float, float, float] | None = None, category_code: str | None = None,
                   at: datetime | None = None, actor_device: str | None = None, origin: str = "api",
                   client_event_id: str | None = None, expected_version: int | None = None,
                   operator_id: str | None = None) -> TransitionOutcome:
        """Apply one transition. API callers get :class:`IllegalTransition` / :class:`CaseConflict`;
        device transitions that no longer fit are recorded as rejected events instead. ``operator_id``: the
        signed-in account behind an API transition (recorded; the account that resolved may not verify)."""
        request: dict[str, Any] = {
            "transition": transition, "actor": actor, "assignee": assignee, "reason": reason, "note": note,
                   "evidence": tuple(evidence), "position": position, "category_code": category_code, "at": at,
                   "actor_device": actor_device, "origin": origin, "client_event_id": client_event_id,
                   "expected_version": expected_version, "operator_id": operator_id}
        for attempt in range(2):
            try:
                with self.db.write() as conn:
                    return self._transition(conn, case_id, **request)
            except sa.exc.IntegrityError:
                # A concurrent writer took the same client_event_id or seq: the retry sees its row.
                if attempt or client_event_id is None:
                    raise
        raise AssertionError("unreachable")

    def transition_in(self, conn: sa.Connection, case_id: str, transition: str, actor: str, *, reason: str = "",
                      note: str = "", origin: str = "system", client_event_id: str | None = None,
                      operator_id: str | None = None) -> TransitionOutcome:
        """:meth:`transition` inside the caller's transaction (回访: the answer and the reopening commit together);
        raises :class:`IllegalTransition` / :class:`CaseConflict`, and then the caller's transaction rolls back."""
        return self._transition(conn, case_id, transition=transition, actor=actor, assignee=None, reason=reason,
                                note=note, evidence=(), position=None, category_code=None, at=None,
                                actor_device=None, origin=origin, client_event_id=client_event_id,
                                expected_version=None, operator_id=operator_id)

    def apply_device_transitions(self, items: Iterable[DeviceTransition]) -> list[TransitionOutcome]:
        """An offline device's queue, applied in event-time order (ties by client_event_id)."""
        return [self.transition(d.case_id, d.transition, d.actor, reason=d.reason, note=d.note,
                                evidence=d.evidence, position=d.position, at=d.at, actor_device=d.actor_device,
                                origin="device", client_event_id=d.client_event_id,
                                expected_version=d.expected_version)
                for d in sorted(items, key=lambda d: (d.at, d.client_event_id))]

    def _transition(self, conn: sa.Connection, case_id: str, *, transition: str, actor: str, assignee: str | None,
                    reason: str, note: str, evidence: tuple[str, ...], position: tuple[float, float, float] | None,
                    category_code: str | None, at: datetime | None, actor_device: str | None, origin: str,
                    client_event_id: str | None, expected_version: int | None,
                    operator_id: str | None) -> TransitionOutcome:
        # Lock the row first (PostgreSQL; SQLite's write transaction is already exclusive) so a concurrent
        # copy of the same device event waits here and then finds the first one's event below.
        case = repo.case(conn, case_id, lock=True)
        if case is None:
            raise CaseConflict(f"no case {case_id}")
        if client_event_id is not None:
            seen = repo.event_by_client_id(conn, client_event_id)
            if seen is not None:
                if seen.case_id != case_id:
                    raise CaseConflict(f"client_event_id {client_event_id} was used for case {seen.case_id}")
                return TransitionOutcome(case, seen, seen.outcome == "applied", repeated=True)
        now = self.clock()
        at = at or now
        event: dict[str, Any] = {
            "transition": transition, "from_state": case.state, "actor": actor, "actor_device": actor_device,
                 "assignee": assignee, "category_code": category_code, "at": at, "received_at": now,
                 "lat": position[0] if position else None, "lon": position[1] if position else None,
                 "accuracy_m": position[2] if position else None, "reason": reason, "note": note,
                 "evidence": list(evidence), "origin": origin, "client_event_id": client_event_id,
                 "operator_id": operator_id}
        try:
            if expected_version is not None and expected_version != case.version:
                raise CaseConflict(f"case {case_id} is at version {case.version}, not {expected_version}")
            if origin == "device":
                self._check_not_stale(conn, case, actor, at)
            ctx = Context(actor=actor, role=self._role(conn, actor), assignee=assignee, reason=reason, note=note,
                          evidence=tuple(evidence), position=position)
            new = states.apply(case.machine_state, transition, ctx)
            if transition == "verify" and operator_id is not None:
                self._check_other_account(conn, case, operator_id)
            values = self._row_changes(conn, case, transition, new, ctx, category_code, at, now)
        except (IllegalTransition, CaseConflict) as refused:
            if origin != "device":
                raise
            # The device acted on an old picture of the case; keep its action on record, change nothing.
            event |= {"outcome": "rejected", "to_state": case.state,
                      "reason": f"{refused}" + (f" | {reason}" if reason else "")}
            stored = repo.insert_event(conn, case_id, event)
            return TransitionOutcome(case, stored, applied=False)
        if not repo.update_case(conn, case_id, values | {"updated_at": now, "version": case.version + 1},
                                at_version=case.version):
            raise CaseConflict(f"case {case_id} changed concurrently")
        stored = repo.insert_event(conn, case_id, event | {"outcome": "applied", "to_state": new.state})
        return TransitionOutcome(self._row(conn, case_id), stored, applied=True)

    def _check_not_stale(self, conn: sa.Connection, case: CaseRow, actor: str, at: datetime) -> None:
        """Conflict rule: a device transition older than someone else's applied change is stale."""
        later = repo.later_change_by_another(conn, case.id, actor, at, states.NON_STATE_EVENTS)
        if later is not None:
            raise IllegalTransition("stale", f"案件已于 {later.at.isoformat()} 被 {later.actor} {later.transition}",
                                    f"the case moved on at {later.at.isoformat()} ({later.transition} by {later.actor})"
                                    " after this offline action")

    @staticmethod
    def _check_other_account(conn: sa.Connection, case: CaseRow, operator_id: str) -> None:
        """Verifier ≠ resolver for the signed-in account too: re-linking an account to another person between
        the steps must not let one account resolve and verify the same work."""
        if CaseService._resolving_account(conn, case.id) == operator_id:
            raise IllegalTransition("verifier_is_resolver", "核查账号不能是处置反馈时所用的账号（即使已改关联人员）",
                                    "this account resolved the case (whoever it is linked to now); another "
                                    "account must verify it")

    @staticmethod
    def _resolving_account(conn: sa.Connection, case_id: str) -> str | None:
        last = repo.last_applied(conn, case_id, ("resolve", "auto_resolve"))
        return last.operator_id if last is not None else None

    def resolving_account(self, case_id: str) -> str | None:
        """The signed-in account behind the case's current resolution (None: a device, the system, or none)."""
        with self.db.read() as conn:
            return self._resolving_account(conn, case_id)

    def _role(self, conn: sa.Connection, actor: str | None) -> str:
        if actor is None:
            raise IllegalTransition("assignee_required", "须指定人员", "a person is needed")
        if actor == "system":
            return states.SYSTEM_ROLE
        role = org_repo.person_role(conn, actor)
        if role is None:
            raise IllegalTransition("unknown_actor", f"未知人员 {actor}", f"unknown person {actor!r}")
        return role

    def _row_changes(self, conn: sa.Connection, case: CaseRow, transition: str, new: CaseState, ctx: Context,
                     category_code: str | None, at: datetime, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {"state": new.state, "assignee": new.assignee, "resolver": new.resolver,
                  "suspended_from": new.suspended_from}
        if transition in ("dispatch", "reassign") and self._role(conn, ctx.assignee) not in states.FIELD_ROLES:
            raise IllegalTransition("bad_assignee", f"{ctx.assignee} 不是处置人员",
                                    f"{ctx.assignee!r} is not field staff and cannot be assigned")
        # Only filing may change the category; no other step may borrow another category's time limit.
        code = (category_code if transition == "file" else None) or case.category_code
        category = self.category(code)
        if transition == "file":
            if category is None or not category.enabled:
                raise IllegalTransition("unknown_category", f"类别 {code} 不存在或已停用，不能立案",
                                        f"category {code!r} is unknown or disabled; pick one to file")
            values |= {"category_code": code, "filed_at": at, "flagged_for_review": False,
                       "deadline": timing.deadline(category, self.calendar, at, [])}
            if category.urgent:
                values["level"] = "red"
        elif transition in ("suspend", "resume"):
            spans = timing.suspensions(repo.events(conn, case.id))
            if transition == "suspend":
                spans = [*spans, (at, None)]
            else:  # resume: close the open span (never zero-length)
                spans = [*spans[:-1], (spans[-1][0], max(at, spans[-1][0] + timedelta(microseconds=1)))]
            values |= {"suspended_at": at if transition == "suspend" else None}
            if case.filed_at is not None and category is not None:
                values["deadline"] = timing.deadline(category, self.calendar, case.filed_at, spans)
        elif transition == "close":
            values["closed_at"] = at
        elif transition == "reopen":  # 回访 不满意 (hub/followup): open again, with a fresh time limit from now
            values |= {"closed_at": None}
            if category is not None:
                values["deadline"] = timing.deadline(category, self.calendar, at, [])
        return values

    # -- triage and the control room (hub/cases/triage.py checks the ids and the scope; these write) ------------
    def open_case_in(self, conn: sa.Connection, record: RecordRow, route: RouteResult, *, source: str,
                     placed: bool = True, taken_by: str | None = None, operator_id: str | None = None,
                     note: str = "") -> OpenResult:
        """:meth:`open_case_from_report` inside the caller's transaction: the control room stores a call's report and
        opens its case in one, so the background intake never takes the record in with a routing of its own. With
        ``taken_by`` (the person who took the call) ``note`` goes on the trail in the same transaction, as theirs."""
        opened = self._open(conn, record, route, source, placed=placed)
        if taken_by is None or opened.case.state not in LIVE_STATES:
            return opened
        noted = self._transition(conn, opened.case.id, transition="note", actor=taken_by, assignee=None, reason="",
                                 note=note, evidence=(), position=None, category_code=None, at=None,
                                 actor_device=None, origin="api", client_event_id=f"taken:{record.id}",
                                 expected_version=None, operator_id=operator_id)
        return OpenResult(noted.case, opened.created, opened.joined)

    def file_in_grid(self, case_id: str, actor: str, *, grid_code: str, community_code: str | None,
                     category_code: str | None = None, note: str = "", expected_version: int | None = None,
                     operator_id: str | None = None) -> TransitionOutcome:
        """分拨立案: file a reported case into the grid an operator chose (its community follows), in ONE transaction -
        the move is recorded in the file event's note; a refused filing moves nothing."""
        with self.db.write() as conn:
            case = repo.case(conn, case_id, lock=True)
            if case is None:
                raise CaseConflict(f"no case {case_id}")
            if grid_code != case.grid_code:
                repo.update_case(conn, case_id, {"grid_code": grid_code, "community_code": community_code})
                moved = (f"分拨至网格 {grid_code}（原{case.grid_code or '未分网格'}）/ placed in grid {grid_code} "
                         f"(was {case.grid_code or 'no grid'})")
                note = f"{moved}\n{note}" if note else moved
            return self._transition(conn, case_id, transition="file", actor=actor, assignee=None, reason="",
                                    note=note, evidence=(), position=None, category_code=category_code, at=None,
                                    actor_device=None, origin="api", client_event_id=None,
                                    expected_version=expected_version, operator_id=operator_id)

    def merge(self, case_id: str, into: str, actor: str, *, note: str = "", expected_version: int | None = None,
              operator_id: str | None = None) -> TransitionOutcome:
        """并案: a reported case is the same problem as the open case ``into``. In ONE transaction it is not filed
        ("并入 FS-… / merged into FS-…", ``merged_into`` set) and the target gets a ``duplicate`` trail entry with its
        reports (and their photos), one more report per report merged and a level up, as an automatic duplicate."""
        if into == case_id:
            raise IllegalTransition("merge_into_self", "不能并入案件本身", "a case cannot be merged into itself")
        with self.db.write() as conn:
            for locked in sorted((case_id, into)):  # one lock order: two opposite merges cannot deadlock
                if repo.case(conn, locked, lock=True) is None:
                    raise CaseConflict(f"no case {locked}")
            source, target = self._row(conn, case_id), self._row(conn, into)
            if target.state not in LIVE_STATES:
                raise IllegalTransition("merge_target_closed", f"目标案件 {target.reference or into} 已办结，不能并入",
                                        f"the target case {target.reference or into} is {target.state}: merge into an "
                                        "open case")
            ref, own = target.reference or target.id, source.reference or source.id
            outcome = self._transition(conn, case_id, transition="not_file", actor=actor, assignee=None,
                                       reason=f"并入 {ref} / merged into {ref}", note=note, evidence=(), position=None,
                                       category_code=None, at=None, actor_device=None, origin="api",
                                       client_event_id=None, expected_version=expected_version,
                                       operator_id=operator_id)
            repo.update_case(conn, case_id, {"merged_into": into})
            now = self.clock()
            repo.join_merged(conn, into, source.report_count, timing.bump_level(target.level), now)
            photos = list(dict.fromkeys(p for e in repo.applied_evidence(conn, case_id) for p in e
                                        if isinstance(p, str)))
            repo.insert_event(conn, into, {
                "transition": "duplicate", "from_state": target.state, "to_state": target.state, "actor": actor,
                "at": now, "received_at": now, "lat": source.lat, "lon": source.lon, "accuracy_m": source.accuracy_m,
                "note": f"并案：{own}（{source.report_count} 次上报）并入本案 / {own} "
                        f"({source.report_count} report(s)) merged into this case" + (f"\n{note}" if note else ""),
                "evidence": photos, "origin": "api", "operator_id": operator_id,
                "client_event_id": f"merge:{case_id}"})
            return TransitionOutcome(self._row(conn, case_id), outcome.event, applied=True)

    def acknowledge_alarm(self, case_id: str, actor: str, *, operator_id: str | None = None) -> tuple[CaseRow, bool]:
        """An operator has seen an urgent case's alarm: recorded on the case (when, by whom) and on its trail (a note,
        whatever the case's state). Idempotent: (the case, whether this call acknowledged it)."""
        with self.db.write() as conn:
            case = repo.case(conn, case_id, lock=True)
            if case is None:
                raise CaseConflict(f"no case {case_id}")
            if case.alarm_at is None:
                raise IllegalTransition("no_alarm", "该案件没有紧急告警", "the case has no alarm to acknowledge")
            if case.alarm_acked_at is not None or not repo.acknowledge_alarm(conn, case_id, self.clock(), actor):
                return case, False
            now = self.clock()
            repo.insert_event(conn, case_id, {
                "transition": "note", "from_state": case.state, "to_state": case.state, "actor": actor, "at": now,
                "received_at": now, "reason": "alarm_ack", "note": "已确认紧急告警 / urgent alarm acknowledged",
                "origin": "api", "operator_id": operator_id, "client_event_id": f"alarm-ack:{case_id}"})
            return self._row(conn, case_id), True

    # -- three-colour levels --------------------------------------------------------------------
    def refresh_levels(self) -> int:
        """Re-level every live case (for a periodic job); returns how many changed colour."""
        with self.db.read() as conn:
            live = repo.levels_of_live(conn, LIVE_STATES)
        return sum(self.refresh_level(case_id).level != level for case_id, level in live)

    def refresh_level(self, case_id: str) -> CaseRow:
        """Raise the case's level to what the elapsed share of its time limit calls for (never lowers)."""
        with self.db.write() as conn:
            case = self._row(conn, case_id)
            if case.state in LIVE_STATES:
                spans = timing.suspensions(repo.events(conn, case_id))
                level = timing.level_for(self.category(case.category_code), self.calendar, self.level_policy,
                                         current=case.level, filed_at=case.filed_at, deadline_at=case.deadline,
                                         spans=spans, now=self.clock())
                if level != case.level:
                    repo.set_level(conn, case_id, level)
                    case = self._row(conn, case_id)
            return case

    @staticmethod
    def _row(conn: sa.Connection, case_id: str) -> CaseRow:
        """A case known to exist in this transaction."""
        case = repo.case(conn, case_id)
        if case is None:
            raise CaseConflict(f"no case {case_id}")
        return case
