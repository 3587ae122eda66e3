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
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.cases import repo, states, task_photos_repo
from hub.cases.recipients import Recipient, grid_leader, person_roles, recipients
from hub.cases.repo import applied_action_seqs
from hub.cases.rows import CaseEvent, CaseRow, TaskDelivery
from hub.cases.service import CaseService
from hub.cases.states import Context, IllegalTransition
from hub.cases.thumbnails import Thumbnailer, role_of
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.org.taxonomy import Category
from hub.store import HubStore
from hub.store import downlinks as downlink_rows
from hub.store.downlinks import body_json
from hub.store.engine import is_transient
from hub.store.locks import ClusterLock
from hub.store.rows import DownlinkRow
from protocol import MAX_NOTE_CHARS, TASK_WHY_VALUES, Position, TaskBody
from protocol.messages import PhotoRole, TaskThumbnail

__all__ = ["Dispatcher", "applied_action_seqs", "why_for"]

log = logging.getLogger(__name__)

ROLE_ACTIONS = {"handler": ("accept", "arrive", "resolve", "return"), "verifier": ("verify",), "informed": ()}
WHY = {"escalate": "escalation"}  # event transition → TaskBody.why, where the names differ
MAX_TASK_PHOTOS = 36
LOOKBEHIND_IDS = 200  # concurrent writers may commit event ids slightly out of order
MAX_ATTEMPTS = 3  # an event that fails this often is marked failed rather than retried forever
SYNCED_CASES_KEPT = 20_000  # cases whose last picture's event id is remembered (a few MB at most)
PHOTO_RESCAN_S = 60.0  # how often the open tasks' photos are looked over afresh (another worker built the task)


@dataclass
class _Picture:
    """What is true of one case now: the inputs to every task body sent for it."""

    case: CaseRow
    category: Category | None
    current: dict[str, Recipient]
    roles: dict[str, str]  # person → role, for the actions they may take
    photos: list[tuple[str, PhotoRole]]  # sha256 and role, trail order
    seen_action_seq: dict[str, int]  # device → highest seq of its actions on this case the hub has taken in
    thumbnails: list[TaskThumbnail] | None = None  # the photos labelled, with a JPEG where the hub has one


def _digest(body: dict) -> str:
    return hashlib.sha256(body_json({k: v for k, v in body.items() if k != "why"}).encode()).hexdigest()


def why_for(transition: str) -> str:
    """TaskBody.why for a case event: one of protocol's documented values (docs/protocol.md), else "update"."""
    why = WHY.get(transition, transition)
    return why if why in TASK_WHY_VALUES else "update"


class Dispatcher:
    def __init__(self, store: HubStore, service: CaseService, *, bridge: Any = None, auto_dispatch: bool = True,
                 batch: int = 200):
        self.store = store
        self.service = service
        self.clock = service.clock
        self.bridge = bridge
        self.auto_dispatch_enabled = auto_dispatch
        self.batch = batch
        self.cursor: int | None = None  # highest event id handled; None: scan everything once at start-up
        self.handled = 0
        self.failed = 0
        self._attempts: dict[int, int] = {}
        self.thumbnails = Thumbnailer(store.data_dir)
        self._awaiting: dict[str, set[str]] = {}  # case id → photos its open tasks went out without (not here yet)
        self._awaiting_lock = threading.Lock()  # the escalation sweep's reminders build pictures on its own thread
        self._rescanned_at: float | None = None  # monotonic time of the last full look at open tasks' photos
        # case id → its newest event id when this dispatcher last built its picture (under the case's lock): an
        # event at or below it is already in what the devices hold (auto-dispatch's file and dispatch, say)
        self._synced_through: dict[str, int] = {}

    # -- the loop ---------------------------------------------------------------------------------
    def pending_events(self) -> list[CaseEvent]:
        after = self.cursor - LOOKBEHIND_IDS if self.cursor is not None else None
        with self.store.read() as conn:
            return repo.undispatched_events(conn, after, self.batch)

    def run_once(self) -> int:
        """Handle the case events not yet dispatched; returns how many were looked at."""
        try:
            self.sync_receipts()
        except Exception:
            log.exception("copying downlink confirmations to task deliveries failed")
        try:
            self.refresh_photos()
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("sending tasks again for photos that arrived failed")
        events = self.pending_events()
        for event in events:
            try:
                self.send(self.handle(event))
                self.handled += 1
            except Exception as exc:
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
            except Exception:
                log.exception("sending %d task message(s) failed; the downlink sweep will retry", len(rows))

    def handle(self, event: CaseEvent) -> list[DownlinkRow]:
        if self._covered(event):
            return self._mark_covered(event)
        if event.transition == "report" and event.outcome == "applied":
            outcome = self.auto_dispatch(event.case_id) if self.auto_dispatch_enabled else "auto_dispatch_off"
            return self.sync_case(event.case_id, why="dispatch", event=event, outcome=outcome)
        rejected_device = event.actor_device if event.outcome == "rejected" and event.origin == "device" else None
        return self.sync_case(event.case_id, why=why_for(event.transition), event=event,
                              force_device=rejected_device)

    def _covered(self, event: CaseEvent) -> bool:
        """Did a picture built after this event already go out? Then syncing again would send nothing (the body's
        digest leaves out ``why``); a report (auto-dispatch) and a device's rejected action (told to that device)
        are always handled in full."""
        if event.transition == "report" or (event.outcome == "rejected" and event.origin == "device"):
            return False
        return event.id <= self._synced_through.get(event.case_id, 0)

    def _mark_covered(self, event: CaseEvent) -> list[DownlinkRow]:
        with self.store.write() as conn:
            repo.case(conn, event.case_id, lock=True)  # as sync_case: another worker's dispatcher waits, sees the mark
            if repo.is_dispatched(conn, event.id):
                return []
            if event.transition == "accept" and event.outcome == "applied":
                repo.note_accept(conn, event.case_id, event.actor, event.at)
            self._mark(conn, event, "covered")
        return []

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
        with self.store.read() as conn:
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
        photos: dict[str, PhotoRole] = {}  # insertion order = trail order; a photo keeps its first role
        for transition, evidence in task_photos_repo.evidence_by_transition(conn, case.id):
            for p in evidence:
                if isinstance(p, str) and p not in photos:
                    photos[p] = role_of(transition)
        seen = {device: seq for device, seq in conn.execute(applied_action_seqs(case.id))}
        labelled = list(photos.items())[-MAX_TASK_PHOTOS:]
        thumbnails, missing = self.thumbnails.for_task(labelled)
        if missing and current:
            with self._awaiting_lock:
                self._awaiting.setdefault(case.id, set()).update(missing)
        return _Picture(case, category, current, roles, labelled, seen, thumbnails)

    def _body(self, pic: _Picture, device: str, role: str, person: str | None, *, why: str,
              withdrawn: bool) -> dict[str, Any]:
        case, cat = pic.case, pic.category
        actions: list[str] = []
        if not withdrawn and person and ROLE_ACTIONS[role]:
            allowed = states.allowed(case.machine_state, Context(actor=person, role=pic.roles.get(person, "")))
            actions = [a for a in ROLE_ACTIONS[role] if a in allowed]
        position = (Position(lat=case.lat, lon=case.lon, accuracy_m=min(case.accuracy_m or 0.0, 100_000))
                    if case.lat is not None and case.lon is not None else None)
        if why not in TASK_WHY_VALUES:
            raise ValueError(f"task reason {why!r} is not in protocol.TASK_WHY_VALUES (docs/protocol.md)")
        body = TaskBody(
            case_id=case.id, case_version=case.version, case_state=case.state, role=role, withdrawn=withdrawn,
            why=why, category=case.category_code, category_name=(cat.name_zh if cat else "")[:64],
            category_name_en=(cat.name_en if cat else "")[:128], title=case.title[:128],
            note=case.note[:MAX_NOTE_CHARS], level=case.level, deadline=case.deadline, position=position,
            grid_code=case.grid_code, reference=case.reference, photos=[sha for sha, _ in pic.photos],
            thumbnails=pic.thumbnails, actions=actions,
            last_action_seq=pic.seen_action_seq.get(device),
        ).model_dump(mode="json")
        if body["reference"] is None:
            del body["reference"]  # left out, not null: terminals older than the field forbid unknown keys
        if body["thumbnails"] is None:
            del body["thumbnails"]  # left out, not null: terminals older than the field forbid unknown keys
        return body

    # -- bringing one case's devices up to date ---------------------------------------------------
    def sync_case(self, case_id: str, *, why: str = "update", event: CaseEvent | None = None,
                  force_device: str | None = None, outcome: str = "") -> list[DownlinkRow]:
        """Queue whatever the case's devices need to hold its current picture; returns the queued rows
        (the caller sends them after this commit). With ``event``, exactly once per event."""
        with self.store.write() as conn:
            # Lock the case first: a second dispatcher (another hub worker) waits here, then sees the mark.
            case = repo.case(conn, case_id, lock=True)
            if event is not None and repo.is_dispatched(conn, event.id):
                return []
            if case is None:
                self._mark(conn, event, "no_case")
                return []
            now = self.clock()
            through = repo.last_event_id(conn, case_id)
            pic = self._picture(conn, case)
            active = {d.device_id: d for d in repo.deliveries(conn, case_id, include_withdrawn=False)}
            queued: list[DownlinkRow] = []

            def queue(device: str, body: dict[str, Any]) -> str:
                message = downlink_rows.queue(conn, device, "task", body, now)
                queued.append(message)
                return message.id

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
                    repo.update_delivery(conn, held.id, {"downlink_id": message_id, "case_version": pic.case.version,
                                                         "body_sha256": digest, "updated_at": now})
                    continue
                if held is not None:  # role changed (e.g. informed → handler): the new message supersedes it
                    repo.update_delivery(conn, held.id, {"withdrawn_at": now, "updated_at": now})
                repo.insert_delivery(conn, {
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
                repo.update_delivery(conn, held.id, {"downlink_id": message_id, "case_version": pic.case.version,
                                                     "body_sha256": _digest(body), "updated_at": now,
                                                     "withdrawn_at": now})
            if force_device and force_device not in pic.current and force_device not in active:
                # Acted on a task it no longer holds: tell it so (the case's current state, withdrawn).
                body = self._body(pic, force_device, "handler", None, why="action_rejected", withdrawn=True)
                queue(force_device, body)
            if event is not None and event.transition == "accept" and event.outcome == "applied":
                repo.note_accept(conn, case_id, event.actor, event.at)
            self._mark(conn, event, outcome or f"{len(queued)} message(s)")
        if len(self._synced_through) >= SYNCED_CASES_KEPT:
            self._synced_through.clear()  # forgetting only costs a full sync of an older event
        self._synced_through[case_id] = through  # committed: the devices' messages are queued
        return queued

    def refresh_photos(self) -> int:
        """Send the open tasks of cases again (``why`` update) once a photo they went out without has reached the
        hub, so the phone gets its thumbnail. Returns how many cases were brought up to date."""
        now = time.monotonic()
        if self._rescanned_at is None or now - self._rescanned_at >= PHOTO_RESCAN_S:
            self._rescanned_at = now  # also the tasks another hub worker built, and those from before a restart
            with self.store.read() as conn:
                open_photos = task_photos_repo.open_task_photos(conn)
            # No thumbnail cached yet = no task was built with that photo present (not here yet, or it arrived after
            # another worker built the task). Cases whose tasks were all withdrawn meanwhile drop out.
            fresh = {case_id: {s for s in shas if not self.thumbnails.cache_path(s).is_file()}
                     for case_id, shas in open_photos.items()}
            with self._awaiting_lock:
                awaiting = {case_id: self._awaiting.get(case_id, set()) | shas for case_id, shas in fresh.items()}
                self._awaiting = {case_id: shas for case_id, shas in awaiting.items() if shas}
        with self._awaiting_lock:
            waiting = list(self._awaiting.items())
        arrived = [case_id for case_id, shas in waiting if any(map(self.thumbnails.has_photo, shas))]
        for case_id in arrived:
            with self._awaiting_lock:
                self._awaiting.pop(case_id, None)  # sync_case notes what is still missing
            self.send(self.sync_case(case_id, why="update"))
        return len(arrived)

    def remind(self, delivery_id: int, why: str = "reminder") -> DownlinkRow | None:
        """Send an open task again as a fresh message (催办), counting it; None if it is no longer open."""
        with self.store.write() as conn:
            held = repo.delivery(conn, delivery_id)
            if held is None or held.withdrawn_at is not None:
                return None
            case = repo.case(conn, held.case_id, lock=True)
            if case is None:
                return None
            pic = self._picture(conn, case)
            r = pic.current.get(held.device_id)
            if r is None or r.role != held.role:
                return None  # the next dispatch pass withdraws or replaces it
            now = self.clock()
            body = self._body(pic, held.device_id, r.role, r.person_id, why=why, withdrawn=False)
            message = downlink_rows.queue(conn, held.device_id, "task", body, now)
            repo.count_resend(conn, delivery_id, {"downlink_id": message.id, "case_version": pic.case.version,
                                                  "body_sha256": _digest(body), "updated_at": now, "resent_at": now})
        self.send([message])
        return message

    # -- receipts ---------------------------------------------------------------------------------
    def sync_receipts(self) -> int:
        """Copy sent / delivered / read from each open task's latest downlink (first time wins)."""
        with self.store.read() as conn:
            changes = repo.deliveries_behind(conn, downlink_rows.receipt_view())
        if not changes:
            return 0
        with self.store.write() as conn:
            for delivery_id, sent, delivered, read in changes:
                repo.copy_receipt(conn, delivery_id, sent, delivered, read)
        return len(changes)

    # -- reads ------------------------------------------------------------------------------------
    def deliveries(self, case_id: str, *, include_withdrawn: bool = True) -> list[TaskDelivery]:
        with self.store.read() as conn:
            return repo.deliveries(conn, case_id, include_withdrawn=include_withdrawn)

    # -- marks ------------------------------------------------------------------------------------
    def _mark(self, conn: sa.Connection, event: CaseEvent | None, outcome: str) -> None:
        if event is not None:
            repo.mark_dispatched(conn, event.id, self.clock(), outcome)

    def _mark_failed(self, event: CaseEvent, exc: Exception) -> None:
        try:
            with self.store.write() as conn:
                self._mark(conn, event, f"failed:{type(exc).__name__}")
            self._attempts.pop(event.id, None)
        except Exception:
            log.exception("could not mark case event %s as failed", event.id)
