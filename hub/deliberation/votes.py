"""Taking stored vote and comment records into the deliberation tables, and answering each vote's kiosk.

One vote per card per topic, counted exactly once (docs/protocol.md, ``up/vote``): every vote record is kept in
``votes``; the card's counted vote is the ``kept_votes`` row, which only an earlier vote (a later one when the topic
allows changes) can replace (``repo.offer_kept``). After offering a card's new votes the card is *settled*: each of
its votes gets the status the kept row implies, and a kiosk is answered whenever its vote's answer changes — the
later-by-device-time vote that reached the hub first was ``accepted``, and becomes ``displaced`` when the earlier one
arrives. Cards are taken in one order (topic, card) so two hub workers lock rows in the same order.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.deliberation import repo
from hub.deliberation.topics import vote_spec
from hub.store import RecordRow, downlinks
from hub.store.rows import DownlinkRow
from protocol import DeliberationComment, DeliberationVote, VoteAnswer

log = logging.getLogger(__name__)

ANSWERED_COUNTED = ("accepted", "changed")


def _refusal(topic: dict[str, Any] | None, vote: DeliberationVote, kiosks: frozenset[str]) -> str | None:
    """Why ``vote`` cannot compete at all (None: it can)."""
    spec = vote_spec(topic) if topic else None
    if topic is None or spec is None or vote.device_id not in kiosks:
        return "invalid"
    if vote.option not in {o.key for o in spec.options}:
        return "invalid"
    if topic["state"] != "open" or spec.closed or vote.created_at > spec.closes_at:
        return "closed"
    if spec.eligibility == "representatives" and vote.resident_key not in set(topic.get("representatives") or []):
        return "not_eligible"
    return None


class VoteTaker:
    """One pass's work inside the caller's transaction; collects the downlinks it queued."""

    def __init__(self, conn: sa.Connection, now: datetime):
        self.conn, self.now = conn, now
        self.queued: list[DownlinkRow] = []
        self._topics: dict[str, dict[str, Any] | None] = {}
        self._kiosks: dict[str, frozenset[str]] = {}

    def _topic(self, topic_id: str) -> dict[str, Any] | None:
        if topic_id not in self._topics:
            found = repo.topic(self.conn, topic_id)
            self._topics[topic_id] = found
            kiosks = repo.kiosks_under(self.conn, found["unit_code"]) if found else []
            self._kiosks[topic_id] = frozenset(kiosks)
        return self._topics[topic_id]

    def _answer(self, device_id: str, vote_id: str, topic_id: str, status: str) -> None:
        body = VoteAnswer(vote_id=vote_id, topic_id=topic_id, status=status, answered_at=self.now)
        self.queued.append(downlinks.queue(self.conn, device_id, "vote_answer", body.model_dump(mode="json"),
                                           self.now))

    def take_votes(self, rows: Sequence[RecordRow]) -> int:
        cards: dict[tuple[str, str], list[DeliberationVote]] = defaultdict(list)
        for record in rows:
            try:
                vote = DeliberationVote.model_validate_json(record.payload)
            except ValueError as exc:  # stored by an older hub or a schema change: never loop on it
                log.warning("vote %s unreadable: %s", record.id, exc)
                continue
            cards[(vote.topic_id, vote.resident_key)].append(vote)
        taken = 0
        for topic_id, resident_key in sorted(cards):
            topic = self._topic(topic_id)
            latest_wins = bool(topic and (topic.get("vote") or {}).get("changes_allowed"))
            competing = False
            for vote in sorted(cards[(topic_id, resident_key)], key=lambda v: (v.created_at, v.id)):
                refusal = _refusal(topic, vote, self._kiosks[topic_id])
                row = {"record_id": vote.id, "topic_id": topic_id, "resident_key": resident_key,
                       "device_id": vote.device_id, "option": vote.option, "device_time": vote.created_at,
                       "status": refusal or "new", "answered": refusal, "processed_at": self.now}
                if not repo.insert_vote(self.conn, row):
                    continue  # another pass or hub worker took it
                taken += 1
                if refusal:
                    self._answer(vote.device_id, vote.id, topic_id, refusal)
                    continue
                repo.offer_kept(self.conn, {k: row[k] for k in ("topic_id", "resident_key", "record_id", "option",
                                                                "device_id", "device_time")}, latest_wins=latest_wins)
                competing = True
            if competing:
                self._settle(topic_id, resident_key, latest_wins)
        return taken

    def _settle(self, topic_id: str, resident_key: str, latest_wins: bool) -> None:
        """Give each of the card's votes the status the kept row implies; answer the kiosks whose answer changed."""
        kept = repo.kept_record(self.conn, topic_id, resident_key)
        card = repo.card_votes(self.conn, topic_id, resident_key)
        for vote in card:
            if vote.record_id == kept:
                status = "kept"
                answer = vote.answered if vote.answered in ANSWERED_COUNTED else (
                    "changed" if latest_wins and len(card) > 1 else "accepted")
            elif vote.answered in (*ANSWERED_COUNTED, "displaced") and not latest_wins:
                status, answer = "displaced", "displaced"  # it had been counted: an earlier vote arrived later
            else:
                status = "superseded" if latest_wins else "already_voted"
                answer = vote.answered if vote.answered in ANSWERED_COUNTED else "already_voted"
            if (status, answer) != (vote.status, vote.answered):
                repo.set_vote_status(self.conn, vote.record_id, status, answer)
            if answer != vote.answered:
                self._answer(vote.device_id, vote.record_id, topic_id, answer)

    def take_comments(self, rows: Sequence[RecordRow]) -> int:
        found: list[dict[str, Any]] = []
        for row in rows:
            try:
                comment = DeliberationComment.model_validate_json(row.payload)
            except ValueError as exc:
                log.warning("comment %s unreadable: %s", row.id, exc)
                continue
            topic = self._topic(comment.topic_id)
            state = "invalid"  # an unknown topic, or a kiosk it does not reach
            if topic is not None and comment.device_id in self._kiosks[comment.topic_id]:
                # made after the comment period (a kiosk offline until later): kept for the record, never queued
                state = "late" if comment.created_at > topic["comments_until"] else "pending"
            found.append({"record_id": comment.id, "topic_id": comment.topic_id, "resident_key": comment.resident_key,
                          "device_id": comment.device_id, "text": comment.text, "made_at": comment.created_at,
                          "state": state, "moderated_by": None, "moderated_at": None})
        repo.insert_comments(self.conn, found)
        return len(found)
