"""Device actions (接单/到场/反馈/退回/核查 from a phone) applied to cases, exactly once, in device-time order.

Ingest stores a phone's ``CaseAction`` like any record (kind ``action``) and receipts it; this job takes
the stored ones and moves the case through :class:`CaseService` with the device's owner as the actor.
Exactly-once rests on two things: the transition is idempotent by ``client_event_id = action:<record id>``,
and the outcome (applied / rejected / dead) is written to ``action_outcomes`` afterwards, so a crash in
between only repeats a no-op. A stale or refused action is kept as a rejected audit event by CaseService
(the dispatcher then sends the device the case's current picture). An action that cannot be applied at
all - no owner for the device, an unknown case, an unreadable body - is recorded as ``dead`` with a clear
reason (and in ``dead_letters`` for operators), and never holds up the actions behind it.

The action's ``case_version`` is not used as an optimistic lock: a worker's offline accept → arrive → resolve
all carry the version of the task they saw, yet each moves the case on. Conflicts are CaseService's rule
instead - an action older than someone *else's* change is stale - plus the state machine's guards.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from hub.cases import repo
from hub.cases.rows import ACTION_EVENT_PREFIX, DeviceTransition
from hub.cases.service import CaseService
from hub.org.repo import device_owner
from hub.store import HubStore
from hub.store import dead_letters as dead_letter_rows
from hub.store import records as record_rows
from hub.store.engine import is_transient
from hub.store.items import DeadLetter
from hub.store.rows import RecordRow
from protocol import CaseAction, UplinkKind, topics

log = logging.getLogger(__name__)

# Phone action → state-machine transition (the names agree today; the map keeps them free to differ).
TRANSITION_FOR = {"accept": "accept", "arrive": "arrive", "resolve": "resolve", "return": "return",
                  "verify": "verify"}
LOOKBEHIND = timedelta(seconds=60)  # batches from several hub workers may commit a little out of order
MAX_ATTEMPTS = 3


class DeadAction(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


class ActionApplier:
    def __init__(self, store: HubStore, service: CaseService, *, batch: int = 200, dead_letter_cap: int = 64 * 1024):
        self.store = store
        self.service = service
        self.batch = batch
        self.dead_letter_cap = dead_letter_cap
        self.cursor: datetime | None = None  # received_at high-water mark; None: scan all once at start-up
        self.counts = {"applied": 0, "rejected": 0, "dead": 0}
        self._attempts: dict[str, int] = {}

    def pending(self) -> list[RecordRow]:
        since = self.cursor - LOOKBEHIND if self.cursor is not None else None
        with self.store.read() as conn:
            # Device time first: a phone's offline queue is replayed in the order the worker acted.
            return record_rows.untaken(conn, "action", repo.action_handled, since=since, limit=self.batch,
                                       by_device_time=True)

    def run_once(self) -> int:
        actions = self.pending()
        for record in actions:
            try:
                self.apply(record)
            except Exception as exc:
                if is_transient(exc):
                    raise  # the database is away: the pass runs again later, no action is blamed or dropped
                tries = self._attempts[record.id] = self._attempts.get(record.id, 0) + 1
                log.exception("applying action %s failed (try %d)", record.id, tries)
                if tries >= MAX_ATTEMPTS:
                    self._dead(record, DeadAction("action_failed", f"{type(exc).__name__}: {exc}"[:500]))
        if actions:
            newest = max(r.received_at for r in actions)
            self.cursor = max(self.cursor or newest, newest)
        elif self.cursor is None:
            self.cursor = self.service.clock()
        return len(actions)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.1) -> None:
        while not stop.is_set():
            try:
                while self.run_once() == self.batch and not stop.is_set():
                    pass
            except Exception:
                log.exception("device action pass failed; retrying")
            stop.wait(interval_s)

    def apply(self, record: RecordRow) -> str:
        """Apply one stored action; returns its outcome (applied | rejected | dead)."""
        try:
            item = self._transition_for(record)
        except DeadAction as dead:
            self._dead(record, dead)
            return "dead"
        outcome = self.service.apply_device_transitions([item])[0]
        result = "applied" if outcome.applied else "rejected"
        self._record(record.id, result, "" if outcome.applied else outcome.event.reason, outcome.event.id)
        self._attempts.pop(record.id, None)
        return result

    def reapply(self, record_id: str) -> str | None:
        """Apply a stored action again that was recorded ``dead`` (a device bound to its owner since, a case that
        exists now...): an admin's replay of its dead letter. Returns the new outcome (applied | rejected | dead),
        None when there is no such action or its outcome is not ``dead`` (applied and rejected are final)."""
        with self.store.write() as conn:
            record = record_rows.get_of_kind(conn, record_id, "action")
            if record is None or not repo.forget_dead_outcome(conn, record_id):
                return None
        try:
            return self.apply(record)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("re-applying action %s failed", record_id)
            self._dead(record, DeadAction("action_failed", f"{type(exc).__name__}: {exc}"[:500]))
            return "dead"

    def _transition_for(self, record: RecordRow) -> DeviceTransition:
        try:
            action = CaseAction.model_validate_json(record.payload)
        except ValidationError as exc:  # stored by an older/newer ingest with another shape
            raise DeadAction("action_invalid", str(exc.errors()[0])[:500]) from None
        with self.store.read() as conn:
            owner = device_owner(conn, record.device_id)
            known = repo.case(conn, action.case_id)
        if owner is None:
            raise DeadAction("action_no_owner", f"设备 {record.device_id} 未绑定人员 / device {record.device_id} "
                                                "has no owner, so nobody to act as")
        if known is None:
            raise DeadAction("action_unknown_case", f"案件 {action.case_id} 不存在 / no case {action.case_id}")
        pos = action.position
        return DeviceTransition(
            case_id=action.case_id, transition=TRANSITION_FOR[action.action.value], actor=owner,
            actor_device=record.device_id, at=record.device_time, client_event_id=f"{ACTION_EVENT_PREFIX}{record.id}",
            reason=action.reason, note=action.note, evidence=tuple(p.sha256 for p in action.photos),
            position=(pos.lat, pos.lon, pos.accuracy_m) if pos else None)

    def _outcome_row(self, record_id: str, outcome: str, reason: str, event_id: int | None) -> dict[str, Any]:
        return {"record_id": record_id, "outcome": outcome, "reason": reason, "case_event_id": event_id,
                "processed_at": self.service.clock()}

    def _record(self, record_id: str, outcome: str, reason: str, event_id: int | None) -> None:
        with self.store.write() as conn:
            repo.record_action_outcome(conn, self._outcome_row(record_id, outcome, reason, event_id))
        self.counts[outcome] += 1

    def _dead(self, record: RecordRow, dead: DeadAction) -> None:
        log.warning("action %s from %s not applied: %s", record.id, record.device_id, dead)
        letter = DeadLetter(topics.uplink(record.device_id, UplinkKind.ACTION), record.payload.encode(),
                            self.service.clock(), dead.code, dead.detail, record.device_id)
        with self.store.write() as conn:
            row = self._outcome_row(record.id, "dead", f"{dead.code}: {dead.detail}", None)
            if not repo.record_action_outcome(conn, row):
                return
            dead_letter_rows.insert(conn, [letter], self.dead_letter_cap)
        self.counts["dead"] += 1
        self._attempts.pop(record.id, None)

    def outcome(self, record_id: str) -> dict[str, Any] | None:
        with self.store.read() as conn:
            return repo.action_outcome(conn, record_id)
