"""The phone's task list, derived from the downlink inbox and the worker's own (maybe unsent) actions.

The hub may send several task messages for one case (dispatch, escalation, rework, withdrawal); the one
with the highest ``case_version`` is the current picture. Actions the worker took offline show at once,
so the list never asks to accept a task the worker already accepted in a lift with no signal.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from protocol import CaseAction, NoticeBody, ProtocolError, TaskBody
from protocol.messages import CaseActionKind

from .store import InboxEntry, TerminalStore

log = logging.getLogger(__name__)

# What each local action leaves the worker able to do next, before the hub answers.
_NEXT_AFTER = {
    CaseActionKind.ACCEPT: [CaseActionKind.ARRIVE, CaseActionKind.RESOLVE, CaseActionKind.RETURN],
    CaseActionKind.ARRIVE: [CaseActionKind.RESOLVE, CaseActionKind.RETURN],
    CaseActionKind.RESOLVE: [],
    CaseActionKind.RETURN: [],
    CaseActionKind.VERIFY: [],
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

    @property
    def actions_now(self) -> list[CaseActionKind]:
        """What the worker may do next: the hub's list, moved on by actions taken here since that message."""
        newer = [a for a, _ in self.local_actions if a.case_version is None or a.case_version >= self.body.case_version]
        if not newer:
            return list(self.body.actions)
        return list(_NEXT_AFTER[newer[-1].action])

    @property
    def unsent_actions(self) -> int:
        return sum(1 for _, state in self.local_actions if state in ("pending", "sent"))


def _typed(entry: InboxEntry, model):
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
