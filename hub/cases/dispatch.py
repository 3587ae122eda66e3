"""The dispatcher (派遣到终端): turns every case change into the right task messages on the right devices.

It follows ``case_events`` - whoever made the change (dashboard API, a phone, the escalation sweep, the
welfare watch) - and for each event brings the case's devices up to date in ONE transaction: queue the
``task`` downlinks, record them in ``task_deliveries`` and mark the event done in ``dispatch_marks``. A crash
before the commit leaves the event unmarked, so it is redone; after it, the mark stops a second copy.

The messages follow the case's *current* state (see ``recipients.py``), not the event: an event handled
late sends what is true now, and a device whose picture is already current gets nothing. Devices that drop
out of the picture (reassigned, returned, closed) get the task back with ``withdrawn=true``.

Auto-dispatch (智能派单): a report routed with confidence into a grid, with a known enabled category, is filed
and dispatched to that grid's leader by ``system`` at once; anything flagged waits for an operator.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from hub.org.repo import write_tx
from hub.org.taxonomy import Category
from hub.store.batch import body_json
from hub.store.engine import is_transient
from hub.store.locks import ClusterLock
from hub.store.repository import new_downlink_row
from hub.store.rows import DownlinkRow
from hub.store.tables import case_events, cases, dispatch_marks, downlinks, records, task_deliveries
from hub.jobs.wakeup import Doorbell, serve_rung
from protocol import MAX_NOTE_CHARS, Position, TaskBody

from hub.cases import states
from hub.cases.recipients import Recipient, grid_leader, person_roles, recipients
from hub.cases.rows import ACTION_EVENT_PREFIX, CaseEvent, CaseRow
from hub.cases.service import CaseService
from hub.cases.states import Context, IllegalTransition

log = logging.getLogger(__name__)

ROLE_ACTIONS = {"handler": ("accept", "arrive", "resolve", "return"), "verifier": ("verify",), "informed": ()}
WHY = {"escalate": "escalation"}  # event transition → TaskBody.why, where the names differ
MAX_TASK_PHOTOS = 36
LOOKBEHIND_IDS = 200  # concurrent writers may commit event ids slightly out of order
MAX_ATTEMPTS = 3  # an event that fails this often is marked failed rather than retried forever


@dataclass(frozen=True, slots=True)
class TaskDelivery:
    id: int
    case_id: str
    device_id: str
    person_id: str | None
    role: str
    reason: str
    downlink_id: str
    case_version: int
    body_sha256: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    accepted_at: datetime | None
    resend_count: int
    resent_at: datetime | None
    escalated_at: datetime | None
    withdrawn_at: datetime | None


@dataclass
class _Picture:
    """What is true of one case now: the inputs to every task body sent for it."""

    case: CaseRow
    category: Category | None
    current: dict[str, Recipient]
    roles: dict[str, str]  # person → role, for the actions they may take
    photos: list[str]
    seen_action_seq: dict[str, int]  # device → highest seq of its actions on this case the hub has taken in


def _digest(body: dict) -> str:
    return hashlib.sha256(body_json({k: v for k, v in body.items() if k != "why"}).encode()).hexdigest()


def why_for(transition: str) -> str:
    why = WHY.get(transition, transition)
    return why if why.replace("_", "").isalpha() and why.islower() and len(why) <= 24 else "update"


def applied_action_seqs(case_id: str) -> sa.Select:
    """(device id, its newest action seq) among the case's events: what each phone's task says was applied.
    A device action's event is "action:<record id>"; the records are looked up by id and kind, so PostgreSQL
    reads only records_other. Joining on "'action:' || records.id" instead can use no index and read every
    record - every position partition too - for every task sent."""
    action_ids = sa.select(sa.func.substr(case_events.c.client_event_id, len(ACTION_EVENT_PREFIX) + 1)).where(
        case_events.c.case_id == case_id, case_events.c.client_event_id.like(f"{ACTION_EVENT_PREFIX}%"))
    return (sa.select(records.c.device_id, sa.func.max(records.c.seq))
            .where(records.c.kind == "action", records.c.id.in_(action_ids)).group_by(records.c.device_id))


class Dispatcher:
    def __init__(self, store, service: CaseService, *, bridge=None, auto_dispatch: bool = True, batch: int = 200):
        self.store = store
        self.engine = store.engine
        self.service = service
        self.clock = service.clock
        self.bridge = bridge
        self.auto_dispatch_enabled = auto_dispatch
        self.batch = batch
        self.cursor: int | None = None  # highest event id handled; None: scan everything once at start-up
        self.handled = 0
        self.failed = 0
        self._attempts: dict[int, int] = {}

    # -- the loop ---------------------------------------------------------------------------------
    def pending_events(self) -> list[CaseEvent]:
        done = sa.select(dispatch_marks.c.event_id).where(dispatch_marks.c.event_id == case_events.c.id)
        query = sa.select(case_events).where(~sa.exists(done))
        if self.cursor is not None:
            query = query.where(case_events.c.id > self.cursor - LOOKBEHIND_IDS)
        query = query.order_by(case_events.c.id).limit(self.batch)
        with self.engine.connect() as conn:
            return [CaseEvent(**r._mapping) for r in conn.execute(query)]

    def run_once(self) -> int:
        """Handle the case events not yet dispatched; returns how many were looked at."""
        try:
            self.sync_receipts()
        except Exception:  # noqa: BLE001 - receipts are bookkeeping; tasks must still go out
            log.exception("copying downlink confirmations to task deliveries failed")
        events = self.pending_events()
        for event in events:
            try:
                self.send(self.handle(event))
                self.handled += 1
            except Exception as exc:  # noqa: BLE001 - one bad case must not hold up the others
                if is_transient(exc):
                    raise  # the database is away, not this event at fault: the whole pass runs again later
                self.failed += 1
                tries = self._attempts[event.id] = self._attempts.get(event.id, 0) + 1
                log.exception("dispatching case event %s (case %s) failed (try %d)", event.id, event.case_id, tries)
                if tries >= MAX_ATTEMPTS:
                    self._mark_failed(event, exc)
        if events:
            self.cursor = max(self.cursor or 0, events[-1].id)
        elif self.cursor is None:
            self.cursor = 0
        return len(events)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.5, *, bell: Doorbell | None = None,
                    lock: ClusterLock | None = None) -> None:
        """Dispatch when rung (intake opened cases, a device action or a sweep made events) or every
        ``interval_s`` (events from the API or other workers). With ``lock`` one worker dispatches at a time,
        in event order, so one case's events are never handled out of order by two workers."""
        def one_pass() -> None:
            while self.run_once() and not stop.is_set():
                pass  # auto-dispatch makes new events: take them at once, not after a wait

        serve_rung(stop, bell or Doorbell("dispatch"), interval_s, one_pass, lock=lock, name="dispatch")

    def send(self, rows: list[DownlinkRow]) -> None:
        """Hand queued messages to the broker now; without a bridge (or if this fails) the bridge's
        maintenance sweep sends them, since they are already in ``downlinks``."""
        if rows and self.bridge is not None:
            try:
                self.bridge.send_downlinks(rows)
            except Exception:  # noqa: BLE001
                log.exception("sending %d task message(s) failed; the downlink sweep will retry", len(rows))

    def handle(self, event: CaseEvent) -> list[DownlinkRow]:
        if event.transition == "report" and event.outcome == "applied":
            outcome = self.auto_dispatch(event.case_id) if self.auto_dispatch_enabled else "auto_dispatch_off"
            return self.sync_case(event.case_id, why="dispatch", event=event, outcome=outcome)
        rejected_device = event.actor_device if event.outcome == "rejected" and event.origin == "device" else None
        return self.sync_case(event.case_id, why=why_for(event.transition), event=event,
                              force_device=rejected_device)

    # -- 智能派单 -----------------------------------------------------------------------------------
    def auto_dispatch(self, case_id: str) -> str:
        """File and dispatch to the grid leader when nothing needs a person's judgement; returns what happened."""
        case = self.service.get(case_id)
        if case is None or case.state != "reported":
            return "not_reported"
        if case.flagged_for_review or not case.grid_code:
            return "needs_operator"  # boundary, outside every grid, unknown/disabled category
        category = self.service.category(case.category_code)
        if category is None or not category.enabled:
            return "needs_operator"
        with self.engine.connect() as conn:
            leader = grid_leader(conn, case.grid_code)
        if leader is None:
            return "no_grid_leader"
        try:
            self.service.transition(case_id, "file", "system", origin="system", note="智能派单 auto-dispatch",
                                    client_event_id=f"auto-file:{case_id}")
            self.service.transition(case_id, "dispatch", "system", assignee=leader, origin="system",
                                    client_event_id=f"auto-dispatch:{case_id}")
        except IllegalTransition as exc:  # an operator got there first, or the leader cannot take cases
            log.info("auto-dispatch of case %s skipped: %s", case_id, exc)
            return f"skipped:{exc.code}"[:32]
        return "auto_dispatched"

    # -- the task picture -----------------------------------------------------------------------
    def _picture(self, conn: sa.Connection, case: CaseRow) -> _Picture:
        category = self.service.category(case.category_code)
        current = recipients(conn, case, category)
        roles = person_roles(conn, [r.person_id for r in current.values() if r.person_id])
        photos: list[str] = []
        for evidence in conn.execute(sa.select(case_events.c.evidence).where(
                case_events.c.case_id == case.id, case_events.c.outcome == "applied").order_by(case_events.c.seq)
                ).scalars():
            photos += [p for p in evidence or [] if isinstance(p, str) and p not in photos]
        seen = dict(conn.execute(applied_action_seqs(case.id)).all())
        return _Picture(case, category, current, roles, photos[-MAX_TASK_PHOTOS:], seen)

    def _body(self, pic: _Picture, device: str, role: str, person: str | None, *, why: str, withdrawn: bool) -> dict:
        case, cat = pic.case, pic.category
        actions: list[str] = []
        if not withdrawn and person and ROLE_ACTIONS[role]:
            allowed = states.allowed(case.machine_state, Context(actor=person, role=pic.roles.get(person, "")))
            actions = [a for a in ROLE_ACTIONS[role] if a in allowed]
        position = (Position(lat=case.lat, lon=case.lon, accuracy_m=min(case.accuracy_m or 0.0, 100_000))
                    if case.lat is not None and case.lon is not None else None)
        return TaskBody(
            case_id=case.id, case_version=case.version, case_state=case.state, role=role, withdrawn=withdrawn,
            why=why, category=case.category_code, category_name=(cat.name_zh if cat else "")[:64],
            category_name_en=(cat.name_en if cat else "")[:128], title=case.title[:128],
            note=case.note[:MAX_NOTE_CHARS], level=case.level, deadline=case.deadline, position=position,
            grid_code=case.grid_code, photos=pic.photos, actions=actions,
            last_action_seq=pic.seen_action_seq.get(device),
        ).model_dump(mode="json")

    # -- bringing one case's devices up to date ---------------------------------------------------
    def sync_case(self, case_id: str, *, why: str = "update", event: CaseEvent | None = None,
                  force_device: str | None = None, outcome: str = "") -> list[DownlinkRow]:
        """Queue whatever the case's devices need to hold its current picture; returns the queued rows
        (the caller sends them after this commit). With ``event``, exactly once per event."""
        with write_tx(self.engine) as conn:
            # Lock the case first: a second dispatcher (another hub worker) waits here, then sees the mark.
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id).with_for_update()).first()
            if event is not None and conn.execute(sa.select(dispatch_marks.c.event_id)
                                                  .where(dispatch_marks.c.event_id == event.id)).first():
                return []
            if row is None:
                self._mark(conn, event, "no_case")
                return []
            now = self.clock()
            pic = self._picture(conn, CaseRow(**row._mapping))
            active = {d.device_id: d for d in _active_deliveries(conn, case_id)}
            queued: list[dict] = []

            def queue(device: str, body: dict) -> str:
                message = new_downlink_row(device, "task", body, now)
                conn.execute(sa.insert(downlinks), message)
                queued.append(message)
                return message["id"]

            for device, r in pic.current.items():
                body = self._body(pic, device, r.role, r.person_id, why=why, withdrawn=False)
                digest, held = _digest(body), active.get(device)
                forced = device == force_device
                if held is not None and held.role == r.role and held.body_sha256 == digest and not forced:
                    continue
                if forced:
                    body["why"] = "action_rejected"
                message_id = queue(device, body)
                if held is not None and held.role == r.role:
                    conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == held.id).values(
                        downlink_id=message_id, case_version=pic.case.version, body_sha256=digest, updated_at=now))
                    continue
                if held is not None:  # role changed (e.g. informed → handler): the new message supersedes it
                    conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == held.id)
                                 .values(withdrawn_at=now, updated_at=now))
                conn.execute(sa.insert(task_deliveries), {
                    "case_id": case_id, "device_id": device, "person_id": r.person_id, "role": r.role,
                    "reason": r.reason, "downlink_id": message_id, "case_version": pic.case.version,
                    "body_sha256": digest, "created_at": now, "updated_at": now, "resend_count": 0})
            for device, held in active.items():
                if device in pic.current:
                    continue
                body = self._body(pic, device, held.role, held.person_id, why=why, withdrawn=True)
                if device == force_device:
                    body["why"] = "action_rejected"
                message_id = queue(device, body)
                conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == held.id).values(
                    downlink_id=message_id, case_version=pic.case.version, body_sha256=_digest(body),
                    updated_at=now, withdrawn_at=now))
            if force_device and force_device not in pic.current and force_device not in active:
                # Acted on a task it no longer holds: tell it so (the case's current state, withdrawn).
                body = self._body(pic, force_device, "handler", None, why="action_rejected", withdrawn=True)
                queue(force_device, body)
            if event is not None and event.transition == "accept" and event.outcome == "applied":
                conn.execute(sa.update(task_deliveries).where(
                    task_deliveries.c.case_id == case_id, task_deliveries.c.person_id == event.actor,
                    task_deliveries.c.role == "handler", task_deliveries.c.withdrawn_at.is_(None),
                    # the latest accept counts: a rework round is accepted again
                    sa.or_(task_deliveries.c.accepted_at.is_(None), task_deliveries.c.accepted_at < event.at))
                    .values(accepted_at=event.at))
            self._mark(conn, event, outcome or f"{len(queued)} message(s)")
        return [DownlinkRow(**m) for m in queued]

    def remind(self, delivery_id: int, why: str = "reminder") -> DownlinkRow | None:
        """Send an open task again as a fresh message (催办), counting it; None if it is no longer open."""
        with write_tx(self.engine) as conn:
            held = conn.execute(sa.select(task_deliveries).where(task_deliveries.c.id == delivery_id)).first()
            if held is None or held.withdrawn_at is not None:
                return None
            row = conn.execute(sa.select(cases).where(cases.c.id == held.case_id).with_for_update()).first()
            pic = self._picture(conn, CaseRow(**row._mapping))
            r = pic.current.get(held.device_id)
            if r is None or r.role != held.role:
                return None  # the next dispatch pass withdraws or replaces it
            now = self.clock()
            body = self._body(pic, held.device_id, r.role, r.person_id, why=why, withdrawn=False)
            message = new_downlink_row(held.device_id, "task", body, now)
            conn.execute(sa.insert(downlinks), message)
            conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == delivery_id).values(
                downlink_id=message["id"], case_version=pic.case.version, body_sha256=_digest(body),
                updated_at=now, resent_at=now, resend_count=task_deliveries.c.resend_count + 1))
        row = DownlinkRow(**message)
        self.send([row])
        return row

    # -- receipts ---------------------------------------------------------------------------------
    def sync_receipts(self) -> int:
        """Copy sent / delivered / read from each open task's latest downlink (first time wins)."""
        d, t = downlinks, task_deliveries
        behind = sa.or_(sa.and_(t.c.sent_at.is_(None), d.c.last_sent_at.is_not(None)),
                        sa.and_(t.c.delivered_at.is_(None), d.c.delivered_at.is_not(None)),
                        sa.and_(t.c.read_at.is_(None), d.c.read_at.is_not(None)))
        query = (sa.select(t.c.id, d.c.last_sent_at, d.c.delivered_at, d.c.read_at)
                 .join(d, d.c.id == t.c.downlink_id).where(t.c.withdrawn_at.is_(None), behind).limit(1000))
        with self.engine.connect() as conn:
            changes = conn.execute(query).all()
        if not changes:
            return 0
        with write_tx(self.engine) as conn:
            for delivery_id, sent, delivered, read in changes:
                conn.execute(sa.update(t).where(t.c.id == delivery_id).values(
                    sent_at=sa.func.coalesce(t.c.sent_at, _at(sent)),
                    delivered_at=sa.func.coalesce(t.c.delivered_at, _at(delivered)),
                    read_at=sa.func.coalesce(t.c.read_at, _at(read))))
        return len(changes)

    # -- reads ------------------------------------------------------------------------------------
    def deliveries(self, case_id: str, *, include_withdrawn: bool = True) -> list[TaskDelivery]:
        query = sa.select(task_deliveries).where(task_deliveries.c.case_id == case_id).order_by(task_deliveries.c.id)
        if not include_withdrawn:
            query = query.where(task_deliveries.c.withdrawn_at.is_(None))
        with self.engine.connect() as conn:
            return [TaskDelivery(**r._mapping) for r in conn.execute(query)]

    # -- marks ------------------------------------------------------------------------------------
    def _mark(self, conn: sa.Connection, event: CaseEvent | None, outcome: str) -> None:
        if event is not None:
            conn.execute(sa.insert(dispatch_marks), {"event_id": event.id, "processed_at": self.clock(),
                                                     "outcome": outcome[:32]})

    def _mark_failed(self, event: CaseEvent, exc: Exception) -> None:
        try:
            with write_tx(self.engine) as conn:
                self._mark(conn, event, f"failed:{type(exc).__name__}")
            self._attempts.pop(event.id, None)
        except Exception:  # noqa: BLE001 - still failing: next pass tries again
            log.exception("could not mark case event %s as failed", event.id)


def _at(value: datetime | None):
    return sa.bindparam(None, value, type_=task_deliveries.c.sent_at.type) if value is not None else sa.null()


def _active_deliveries(conn: sa.Connection, case_id: str) -> Iterable[TaskDelivery]:
    query = sa.select(task_deliveries).where(task_deliveries.c.case_id == case_id,
                                             task_deliveries.c.withdrawn_at.is_(None))
    return [TaskDelivery(**r._mapping) for r in conn.execute(query)]
