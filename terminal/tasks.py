"""The phone's task list, derived from the downlink inbox and the worker's own (maybe unsent) actions.

The hub may send several task messages for one case (dispatch, escalation, rework, withdrawal); the one
with the highest ``case_version`` is the current picture. Actions the worker took offline show at once,
so the list never asks to accept a task the worker already accepted in a lift with no signal.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from protocol import CaseAction, NoticeBody, ProtocolError, TaskBody, TaskRole
from protocol.messages import CaseActionKind
from terminal.store import InboxEntry, TerminalStore

log = logging.getLogger(__name__)

_Body = TypeVar("_Body", bound=BaseModel)

# The field part of the hub's state machine, as far as a phone needs it to show the next step while offline:
# state → {action: state after}. ``return`` ends the worker's part (None).
_FIELD_STEPS: dict[str, dict[CaseActionKind, str | None]] = {
    "dispatched": {CaseActionKind.ACCEPT: "accepted", CaseActionKind.RETURN: None},
    "accepted": {CaseActionKind.ARRIVE: "arrived", CaseActionKind.RETURN: None},
    "arrived": {CaseActionKind.RESOLVE: "resolved", CaseActionKind.RETURN: None},
    "resolved": {CaseActionKind.VERIFY: "verified"},
}
_ROLE_ACTIONS = {
    TaskRole.HANDLER: {CaseActionKind.ACCEPT, CaseActionKind.ARRIVE, CaseActionKind.RESOLVE, CaseActionKind.RETURN},
    TaskRole.VERIFIER: {CaseActionKind.VERIFY},
    TaskRole.INFORMED: set(),
}


@dataclass(frozen=True)
class Task:
    message_id: str
    body: TaskBody
    received_at: str
    read: bool
    local_actions: list[tuple[CaseAction, str]] = field(default_factory=list)  # (action, outbox state)

    @property
    def case_id(self) -> str:
        return self.body.case_id

    def _replayed(self) -> tuple[str | None, bool]:
        """(case state after this device's actions the hub had not taken in, whether any moved it)."""
        seen = self.body.last_action_seq or 0
        state: str | None = self.body.case_state
        moved = False
        for action, outbox_state in self.local_actions:
            if action.seq <= seen or outbox_state == "rejected":
                continue
            steps = _FIELD_STEPS.get(state or "", {})
            if action.action in steps:
                state, moved = steps[action.action], True
            if state is None:
                break
        return state, moved

    @property
    def actions_now(self) -> list[CaseActionKind]:
        """What the worker may do next: the hub's picture moved on by this device's actions the hub had not
        taken in when it sent it (``last_action_seq``). One that no longer fits the state is skipped — the hub
        will judge it and answer with a new picture."""
        state, moved = self._replayed()
        if not moved:
            return list(self.body.actions)
        allowed = _ROLE_ACTIONS[self.body.role]
        return [a for a in _FIELD_STEPS.get(state or "", {}) if a in allowed]

    @property
    def state_now(self) -> str | None:
        """The case state as this device knows it: the hub's, moved on by its own unsent actions (None: returned)."""
        return self._replayed()[0]

    @property
    def unsent_actions(self) -> int:
        return sum(1 for _, state in self.local_actions if state in ("pending", "sent"))


def _typed(entry: InboxEntry, model: type[_Body]) -> _Body | None:
    try:
        return model.model_validate(entry.body)
    except ValueError as exc:  # a body this app version cannot read: keep it in the inbox, skip it here
        log.warning("inbox %s: unreadable %s body: %s", entry.id, entry.kind, ProtocolError("invalid", str(exc)))
        return None


def current_tasks(store: TerminalStore, *, include_withdrawn: bool = False) -> list[Task]:
    """One task per case, newest picture first by deadline (soonest first; no deadline last)."""
    latest: dict[str, tuple[InboxEntry, TaskBody]] = {}
    for entry in store.inbox():
        if entry.kind != "task":
            continue
        body = _typed(entry, TaskBody)
        if body is None:
            continue
        seen = latest.get(body.case_id)
        if seen is None or (body.case_version, entry.id) > (seen[1].case_version, seen[0].id):
            latest[body.case_id] = (entry, body)
    actions: dict[str, list[tuple[CaseAction, str]]] = {}
    for action, state in store.case_actions():
        actions.setdefault(action.case_id, []).append((action, state))
    tasks = [Task(entry.id, body, entry.received_at, entry.state == "read", actions.get(body.case_id, []))
             for entry, body in latest.values() if include_withdrawn or not body.withdrawn]
    return sorted(tasks, key=lambda t: (t.body.deadline is None, t.body.deadline or 0, t.message_id))


def notices(store: TerminalStore) -> list[tuple[str, NoticeBody]]:
    """(message id, notice), newest first."""
    found = [(e.id, _typed(e, NoticeBody)) for e in store.inbox() if e.kind == "notice"]
    return sorted([(i, n) for i, n in found if n is not None], key=lambda x: x[1].published_at, reverse=True)


def displayed_notices(store: TerminalStore, grid_code: str = "") -> list[tuple[str, NoticeBody]]:
    """What the kiosk of ``grid_code`` shows on its notices screen: the notices it could read, for its grid or for
    every grid (no ``grid_code`` on the notice), newest first. Empty ``grid_code`` (a kiosk not set to a grid):
    all of them."""
    return [(i, n) for i, n in notices(store) if not grid_code or n.grid_code in (None, grid_code)]
