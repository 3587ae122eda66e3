"""The follow-up job: each pass opens follow-up rows for new closings, takes the kiosks' stored ``followup`` answers
(the generic ingest stored and receipted them) and queues prompts to kiosks; then sends what it queued.

Rung by the bridge after a commit that stored followup records (``hub/app.py``), with a fallback poll; one worker
at a time (cluster lock). Every stored answer gets exactly one outcome row (``followup_answer_outcomes``): applied,
or why it was ignored - so a pass never looks at it again, and a duplicate from another kiosk is ignored
idempotently rather than refused (the kiosk already had its receipt when it stored the record).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from hub.cases.service import CaseConflict
from hub.cases.states import IllegalTransition
from hub.followup import repo
from hub.followup.service import LOOKBACK, FollowupRefused, FollowupService
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.store import DownlinkRow, RecordRow
from hub.store.locks import ClusterLock
from protocol import FollowupAnswer

log = logging.getLogger(__name__)

SCAN_LIMIT = 500


class Sender(Protocol):
    def send_downlinks(self, rows: Any) -> list[str]: ...


class FollowupJob:
    def __init__(self, service: FollowupService, bridge: Sender | None, *,
                 on_reopen: Callable[[], None] | None = None):
        self.service, self.store, self.bridge, self.on_reopen = service, service.store, bridge, on_reopen
        self.taken = 0

    def _answers(self, now: datetime) -> list[RecordRow]:
        found: list[RecordRow] = []
        cursor = None
        while True:
            rows, cursor = self.store.list_records(kind="followup", since=now - LOOKBACK, limit=SCAN_LIMIT,
                                                   cursor=cursor)
            found += rows
            if cursor is None:
                break
        with self.store.read() as conn:
            done = repo.handled(conn, [r.id for r in found])
        return [r for r in found if r.id not in done]

    def take(self, record: RecordRow) -> tuple[str, list[DownlinkRow], bool]:
        """Apply one stored answer: (outcome, downlinks to send, whether the case reopened)."""
        now = self.service.clock()
        try:
            answer = FollowupAnswer.model_validate_json(record.payload)
        except ValueError:
            self._record(record.id, None, "unreadable", now)
            return "unreadable", [], False
        try:
            with self.store.write() as conn:
                row = repo.latest(conn, answer.case_id)
                community = repo.kiosk_community(conn, record.device_id)
                if row is None or row.reference != answer.reference or community is None \
                        or row.community_code != community:
                    raise FollowupRefused("not_awaiting", "不在本社区的待回访案件", "no such follow-up here")
                if answer.via == "prompt" and (answer.resident_key is None or answer.resident_key != row.resident_key):
                    raise FollowupRefused("not_reporter", "回访卡号与上报人不符", "the card is not the reporter's")
                taken = self.service.answer_in(
                    conn, answer.case_id, answer.answer.value, channel="kiosk" if answer.via == "prompt" else "lookup",
                    by=record.device_id, words=answer.words, record_id=record.id)
                repo.record_outcome(conn, record.id, answer.case_id, "applied", now)
            return "applied", taken.withdrawals, taken.reopened
        except FollowupRefused as refused:
            self._record(record.id, answer.case_id, refused.code, now)
            return refused.code, [], False
        except (IllegalTransition, CaseConflict) as refused:  # the case moved on: keep the answer out, say why
            log.warning("followup %s for case %s not applied: %s", record.id, answer.case_id, refused)
            self._record(record.id, answer.case_id, "case_refused", now)
            return "case_refused", [], False

    def _record(self, record_id: str, case_id: str | None, outcome: str, now: datetime) -> None:
        with self.store.write() as conn:
            if repo.outcome_of(conn, record_id) is None:
                repo.record_outcome(conn, record_id, case_id, outcome, now)

    def run_once(self) -> int:
        """One pass; the number of answers applied."""
        self.service.open_rounds()
        queued: list[DownlinkRow] = []
        applied, reopened = 0, False
        for record in self._answers(self.service.clock()):
            outcome, rows, did_reopen = self.take(record)
            queued += rows
            applied += outcome == "applied"
            reopened = reopened or did_reopen
        queued += self.service.send_prompts()
        if queued and self.bridge is not None:
            self.bridge.send_downlinks(queued)  # else the bridge's maintenance sends never-sent downlinks
        if reopened and self.on_reopen is not None:
            self.on_reopen()  # the dispatcher sends the handler the task again
        self.taken += applied
        return applied

    def run_forever(self, stop: threading.Event, *, interval_s: float, bell: Doorbell,
                    lock: ClusterLock | None = None) -> None:
        serve_rung(stop, bell, interval_s, self.run_once, lock=lock, name="follow-up")
