"""回访: following up every closed case with the resident who reported it, and 满意率.

How a case "awaits follow-up": not a new case state but a follow-up row beside it (``case_followups``), one per
closing (round 1; round 2 after a 返工 and a new close ...). The case state machine stays the closed loop; a closed
case with a row in ``pending`` (or ``not_reached``: called, nobody answered) awaits its follow-up. Rows:

- created by the follow-up job for each closing (``hub.cases.repo.closed_since``, looking back ``LOOKBACK``): due
  ``followup_window_h`` hours after closing on the WALL CLOCK (residents tap cards at weekends too; the queue shows
  the exact time); ``skipped`` when the case is not in the sampled share (``followup_share``: a case is followed up
  when the first 8 hex digits of sha256(case id) / 2**32 < share - deterministic, so reproducible);
- answered by the FIRST valid answer: a kiosk prompt on the reporter's card tap, a kiosk 查进度, or an operator's
  call (``channel`` kiosk | lookup | call); later answers are ignored idempotently (the uplink is receipted like any
  record, its outcome recorded as ``already_answered``), and the prompts are withdrawn from the other kiosks;
- 不满意 reopens the case (``reopen``: closed → dispatched to the last handler, who must accept again) in the same
  transaction, with the resident's words as the event's note: private, on the trail for staff only;
- 未联系上 (a call nobody answered) counts an attempt and keeps the row awaiting (state ``not_reached``);
- a row still awaiting after its window is 未回访: overdue, first in the queue; a late answer is still taken.

KPIs (closings in a period, skipped rows nowhere): 回访率 followup_rate = answered / due, where due = rows whose
window is over or that are answered or not reached; 满意率 satisfaction_rate = (满意 + 基本满意) / answered.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.cases import repo as case_repo
from hub.cases.rows import CaseRow
from hub.cases.service import CaseService
from hub.followup import repo
from hub.followup.repo import AWAITING, FollowupRow
from hub.store import DownlinkRow, HubStore, downlinks
from protocol import FollowupChoice, FollowupPrompt

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=14)  # closings older than this when the job first sees them get no follow-up row
CALL_OUTCOMES = frozenset({c.value for c in FollowupChoice} | {"not_reached"})
CHANNELS = ("kiosk", "lookup", "call")


class FollowupRefused(ValueError):
    """An answer or call the rules refuse; ``code`` is stable, the message zh / en."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class Answered:
    row: FollowupRow
    reopened: bool
    withdrawals: list[DownlinkRow]


def sampled(case_id: str, share: float) -> bool:
    """Whether a case is followed up under ``share`` (0..1): reproducible, by the case id alone."""
    if share >= 1:
        return True
    return int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) / 2 ** 32 < share


class FollowupService:
    def __init__(self, store: HubStore, cases: CaseService, *, window: timedelta = timedelta(hours=48),
                 share: float = 1.0, clock: Callable[[], datetime] | None = None):
        self.store, self.cases, self.window, self.share = store, cases, window, share
        self.clock = clock or cases.clock

    # -- rounds ---------------------------------------------------------------------------------------------------
    def open_rounds(self) -> int:
        """A follow-up row for every closing that has none yet; the number made."""
        now, made = self.clock(), 0
        with self.store.write() as conn:
            closed = case_repo.closed_since(conn, now - LOOKBACK)
            have = repo.rounds_of(conn, [c.id for c in closed])
            for case in closed:
                rows = have.get(case.id, [])
                last = rows[-1] if rows else None
                # Its round exists unless that round's 不满意 reopened the case (closed again since).
                if case.closed_at is None or (last is not None and last.closed_at >= case.closed_at
                                              and last.answer != "dissatisfied"):
                    continue
                repo.insert(conn, self._new_row(conn, case, len(rows) + 1, now))
                made += 1
        return made

    def _new_row(self, conn: sa.Connection, case: CaseRow, round_: int, now: datetime) -> dict[str, Any]:
        assert case.closed_at is not None
        return {"id": f"{case.id}:{round_}", "case_id": case.id, "round": round_, "reference": case.reference,
                "grid_code": case.grid_code, "community_code": case.community_code,
                "category_code": case.category_code, "title": case.title[:128],
                "resident_key": self._reporter_key(case), "closed_at": case.closed_at,
                "due_at": case.closed_at + self.window, "created_at": now, "attempts": 0,
                "state": "pending" if sampled(case.id, self.share) else "skipped"}

    def _reporter_key(self, case: CaseRow) -> str | None:
        """The card key the report carried (a kiosk report made after a card tap), else None: calls only."""
        record = self.store.get_record(case.source_record_id)
        if record is None or record.kind not in ("report", "checkin"):  # checkin: a kiosk service request
            return None
        key = record.payload_dict().get("resident_key")
        return key if isinstance(key, str) else None

    # -- prompts to kiosks ----------------------------------------------------------------------------------------
    def _prompt(self, conn: sa.Connection, row: FollowupRow, *, withdrawn: bool) -> dict[str, Any]:
        names = repo.category_names(conn, row.category_code)
        assert row.resident_key is not None and row.reference is not None
        return FollowupPrompt(case_id=row.case_id, reference=row.reference, resident_key=row.resident_key,
                              category=row.category_code, category_name=names[0][:64],
                              category_name_en=names[1][:128], title=row.title, closed_at=row.closed_at,
                              due_at=row.due_at, withdrawn=withdrawn).model_dump(mode="json")

    def send_prompts(self) -> list[DownlinkRow]:
        """Queue a prompt to every kiosk of the community for each pending row with a card key (once per row)."""
        now, queued = self.clock(), []
        with self.store.write() as conn:
            for row in repo.unprompted(conn, now):
                if row.reference is None:
                    continue
                body = self._prompt(conn, row, withdrawn=False)
                for kiosk in repo.kiosks_in(conn, row.community_code):
                    queued.append(downlinks.queue(conn, kiosk, "followup", body, now, expires_at=row.due_at))
                repo.update(conn, row.id, {"prompted_at": now})
        return queued

    def _withdraw(self, conn: sa.Connection, row: FollowupRow, now: datetime, *,
                  except_device: str | None = None) -> list[DownlinkRow]:
        if row.prompted_at is None or row.resident_key is None or row.reference is None:
            return []
        body = self._prompt(conn, row, withdrawn=True)
        rows = [downlinks.queue(conn, kiosk, "followup", body, now, expires_at=row.due_at + timedelta(days=1))
                for kiosk in repo.kiosks_in(conn, row.community_code) if kiosk != except_device]
        repo.update(conn, row.id, {"withdrawn_at": now})
        return rows

    # -- answers --------------------------------------------------------------------------------------------------
    def answer_in(self, conn: sa.Connection, case_id: str, choice: str, *, channel: str, by: str,
                  words: str = "", operator_id: str | None = None, record_id: str | None = None,
                  reopen_actor: str = "system") -> Answered:
        """Take one answer inside the caller's transaction: the first wins; 不满意 reopens the case."""
        if choice not in {c.value for c in FollowupChoice}:
            raise FollowupRefused("bad_answer", f"未知的回访结果 {choice!r}", f"unknown follow-up answer {choice!r}")
        now = self.clock()
        row = repo.latest(conn, case_id, lock=True)
        if row is None or row.state not in AWAITING:
            raise FollowupRefused("not_awaiting" if row is None or row.state == "skipped" else "already_answered",
                                  "该案件没有待回访（或已回访）", "this case is not awaiting a follow-up (or has one)")
        values = {"state": "answered", "answer": choice, "channel": channel, "answered_at": now,
                  "answered_by": by[:64], "operator_id": operator_id, "answer_record_id": record_id}
        if channel == "call":
            values["attempts"] = row.attempts + 1
        if not repo.update(conn, row.id, values, awaiting_only=True):
            raise FollowupRefused("already_answered", "已有回访结果", "the follow-up already has its answer")
        reopened = False
        if choice == FollowupChoice.DISSATISFIED.value:
            how = {"kiosk": "自助终端", "lookup": "自助终端查进度", "call": "电话"}[channel]
            self.cases.transition_in(conn, case_id, "reopen", reopen_actor,
                                     reason=f"回访不满意（{how}）/ follow-up: dissatisfied ({channel})",
                                     note=words.strip()[:1000], origin="api" if channel == "call" else "system",
                                     client_event_id=f"followup:{row.id}", operator_id=operator_id)
            reopened = True
        after = repo.latest(conn, case_id)
        assert after is not None
        withdrawals = self._withdraw(conn, after, now, except_device=by if channel != "call" else None)
        return Answered(after, reopened, withdrawals)

    def log_call(self, case_id: str, outcome: str, *, person: str, operator_id: str | None,
                 note: str = "") -> Answered:
        """An operator's call: an answer (as from a kiosk) or 未联系上 (an attempt; the row keeps awaiting)."""
        if outcome not in CALL_OUTCOMES:
            raise FollowupRefused("bad_answer", f"未知的回访结果 {outcome!r}", f"unknown follow-up outcome {outcome!r}")
        with self.store.write() as conn:
            if outcome != "not_reached":
                return self.answer_in(conn, case_id, outcome, channel="call", by=person, words=note,
                                      operator_id=operator_id, reopen_actor=person)
            row = repo.latest(conn, case_id, lock=True)
            if row is None or row.state not in AWAITING:
                raise FollowupRefused("not_awaiting", "该案件没有待回访", "this case is not awaiting a follow-up")
            repo.update(conn, row.id, {"state": "not_reached", "attempts": row.attempts + 1, "channel": "call",
                                       "answered_by": person[:64], "operator_id": operator_id}, awaiting_only=True)
            after = repo.latest(conn, case_id)
            assert after is not None
            return Answered(after, False, [])

    # -- reads ----------------------------------------------------------------------------------------------------
    def current(self, case_id: str) -> FollowupRow | None:
        with self.store.read() as conn:
            return repo.latest(conn, case_id)

    def status_of(self, case_ids: list[str]) -> dict[str, str]:
        """case id → what the case list shows of its latest follow-up: the answer, else overdue / pending /
        not_reached / skipped."""
        now = self.clock()
        with self.store.read() as conn:
            rounds = repo.rounds_of(conn, case_ids)
        shown = {}
        for case_id, rows in rounds.items():
            last = rows[-1]
            shown[case_id] = last.answer or ("overdue" if last.overdue(now) else last.state)
        return shown

    def queue(self, scope_units: sa.Select[str] | None, *, limit: int = 200) -> list[FollowupRow]:
        with self.store.read() as conn:
            return repo.queue(conn, scope_units=scope_units, limit=limit)

    def recent_answers(self, scope_units: sa.Select[str] | None, *, channel: str | None = None,
                       limit: int = 50) -> list[FollowupRow]:
        with self.store.read() as conn:
            return repo.answered_recently(conn, scope_units=scope_units, channel=channel, limit=limit)
