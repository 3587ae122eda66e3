"""What the control room does with deliberation topics (议事): open one, moderate its comments, close its vote; and
what it sees (topics with live tallies and turnout per grid, the moderation queue).

Every change that alters the kiosks' picture bumps the topic's version and queues the topic again to every kiosk of
the target subtree through the durable downlink queue (resent until each kiosk confirms); closing the vote also
queues the ``VoteResult``. Scope is the caller's business (``hub/api/deliberation.py``): these methods take the
operator's scope unit and refuse objects outside it with ``LookupError`` (the API's 404).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from hub.deliberation import repo
from hub.deliberation.topics import eligible_cards, result_body, topic_body
from hub.store import HubStore, downlinks
from hub.store.rows import DownlinkRow
from protocol import VoteSpec, uuid7


class Sender(Protocol):
    def send_downlinks(self, rows: Any) -> list[str]: ...


class DeliberationError(ValueError):
    """A request that does not fit the topic (a closed vote, no vote, an unknown unit): the API's 409/422."""


def _in_scope(conn: sa.Connection, unit_code: str, scope: str | None) -> bool:
    return scope is None or repo.in_subtree(conn, unit_code, scope)


class DeliberationService:
    def __init__(self, store: HubStore, clock: Callable[[], datetime], bridge: Sender | None = None):
        self.store, self.clock, self.bridge = store, clock, bridge

    def _send(self, queued: list[DownlinkRow]) -> None:
        if queued and self.bridge is not None:
            self.bridge.send_downlinks(queued)

    def _publish(self, conn: sa.Connection, topic_id: str, now: datetime) -> list[DownlinkRow]:
        row = repo.topic(conn, topic_id)
        assert row is not None
        approved = repo.comments(conn, topic_id=topic_id, state="approved")
        body = topic_body(row, approved, now).model_dump(mode="json")
        return [downlinks.queue(conn, kiosk, "deliberation_topic", body, now)
                for kiosk in repo.kiosks_under(conn, row["unit_code"])]

    def catch_up(self) -> int:
        """Open topics onto the kiosks bound under their unit after they were published (a kiosk enrolled, replaced
        or bound later): each gets the topic as the others have it now. How many were queued."""
        now = self.clock()
        with self.store.write() as conn:
            have = {(device, json.loads(body).get("topic_id")) for device, body in
                    downlinks.of_kind(conn, "deliberation_topic")}
            queued: list[DownlinkRow] = []
            for row in repo.topics_under(conn, None):
                if row["state"] != "open":
                    continue
                missing = [k for k in repo.kiosks_under(conn, row["unit_code"]) if (k, row["id"]) not in have]
                if missing:
                    body = topic_body(row, repo.comments(conn, topic_id=row["id"], state="approved"), now)
                    queued += [downlinks.queue(conn, kiosk, "deliberation_topic", body.model_dump(mode="json"), now)
                               for kiosk in missing]
        self._send(queued)
        return len(queued)

    def _topic_in_scope(self, conn: sa.Connection, topic_id: str, scope: str | None) -> dict[str, Any]:
        row = repo.topic(conn, topic_id)
        if row is None or not _in_scope(conn, row["unit_code"], scope):
            raise LookupError(topic_id)
        return row

    # -- actions -----------------------------------------------------------------------------------------------
    def open_topic(self, *, scope: str | None, unit_code: str, title: str, background: str, images: list[str],
                   comments_until: datetime, vote: VoteSpec | None, representatives: list[str] | None,
                   eligible_count: int | None, by: str) -> str:
        now = self.clock()
        topic_id = uuid7(int(now.timestamp() * 1000))
        with self.store.write() as conn:
            if not repo.unit_names(conn, [unit_code]) or not _in_scope(conn, unit_code, scope):
                raise LookupError(unit_code)
            if vote is not None and vote.eligibility == "representatives" and not representatives:
                raise DeliberationError("a representatives' vote needs the representatives' card keys")
            repo.insert_topic(conn, {
                "id": topic_id, "unit_code": unit_code, "version": 1, "state": "open", "title": title,
                "background": background, "images": images, "comments_until": comments_until,
                "vote": vote.model_dump(mode="json", exclude={"closed"}) if vote else None,
                "representatives": sorted(set(representatives)) if representatives else None,
                "eligible_count": eligible_count, "vote_closed_at": None, "resolution": "", "notice_id": None,
                "created_by": by, "created_at": now, "updated_at": now})
            queued = self._publish(conn, topic_id, now)
        self._send(queued)
        return topic_id

    def moderate(self, record_id: str, *, approve: bool, scope: str | None, by: str) -> dict[str, Any]:
        """Approve (publish) or reject a pending comment; the approved text goes to the kiosks with the topic."""
        now = self.clock()
        queued: list[DownlinkRow] = []
        with self.store.write() as conn:
            found = repo.comment(conn, record_id)
            if found is None:
                raise LookupError(record_id)
            self._topic_in_scope(conn, found["topic_id"], scope)
            if not repo.moderate_comment(conn, record_id, "approved" if approve else "rejected", by, now):
                raise DeliberationError(f"comment already {found['state']}")
            if approve:
                repo.update_topic(conn, found["topic_id"], {"updated_at": now})
                queued = self._publish(conn, found["topic_id"], now)
            result = repo.comment(conn, record_id)
        self._send(queued)
        assert result is not None
        return result

    def close_vote(self, topic_id: str, *, resolution: str, notice_id: str | None, scope: str | None,
                   by: str) -> dict[str, Any]:
        """Close the vote: votes arriving from now on are answered ``closed``; the result and the closed topic go
        to every kiosk of the topic. ``resolution`` (e.g. 公约 adopted) and ``notice_id`` are recorded with it."""
        now = self.clock()
        with self.store.write() as conn:
            row = self._topic_in_scope(conn, topic_id, scope)
            if not row.get("vote"):
                raise DeliberationError("this topic has no vote")
            if row["vote_closed_at"] is not None:
                raise DeliberationError("the vote is closed already")
            repo.update_topic(conn, topic_id, {"vote_closed_at": now, "state": "closed", "resolution": resolution,
                                               "notice_id": notice_id, "updated_at": now})
            queued = self._publish(conn, topic_id, now)
            closed = repo.topic(conn, topic_id)
            assert closed is not None
            result = result_body(closed, repo.tally(conn, topic_id), now).model_dump(mode="json")
            queued += [downlinks.queue(conn, kiosk, "vote_result", result, now)
                       for kiosk in repo.kiosks_under(conn, row["unit_code"])]
        self._send(queued)
        return result

    # -- views -------------------------------------------------------------------------------------------------
    def topics(self, scope: str | None) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            rows = repo.topics_under(conn, scope)
            return [self._summary(conn, row) for row in rows]

    def topic(self, topic_id: str, scope: str | None) -> dict[str, Any]:
        with self.store.read() as conn:
            row = self._topic_in_scope(conn, topic_id, scope)
            summary = self._summary(conn, row)
            summary["comments"] = [_comment_out(c) for c in repo.comments(conn, topic_id=topic_id)]
            summary["grids"] = self._turnout_by_unit(conn, topic_id)
            return summary

    def moderation_queue(self, scope: str | None) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            titles = {r["id"]: r["title"] for r in repo.topics_under(conn, scope)}
            pending = repo.comments(conn, state="pending", topic_ids=list(titles)) if titles else []
            return [{**_comment_out(c), "topic_title": titles[c["topic_id"]]} for c in pending]

    def _summary(self, conn: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
        counts = repo.tally(conn, row["id"]) if row.get("vote") else {}
        voters = sum(counts.values())
        eligible = eligible_cards(row)
        names = repo.unit_names(conn, [row["unit_code"]])
        return {
            "id": row["id"], "title": row["title"], "background": row["background"], "state": row["state"],
            "version": row["version"], "unit_code": row["unit_code"], "unit_name": names.get(row["unit_code"], ""),
            "images": row["images"], "comments_until": row["comments_until"], "vote": row["vote"],
            "vote_closed_at": row["vote_closed_at"], "resolution": row["resolution"], "notice_id": row["notice_id"],
            "representatives": len(row["representatives"] or []), "eligible": eligible,
            "counts": counts, "voters": voters,
            "turnout": round(min(1.0, voters / eligible), 4) if eligible else None,
            "statuses": repo.vote_statuses(conn, row["id"]) if row.get("vote") else {},
            "pending_comments": len(repo.comments(conn, topic_id=row["id"], state="pending")),
            "created_at": row["created_at"], "created_by": row["created_by"],
        }

    def _turnout_by_unit(self, conn: sa.Connection, topic_id: str) -> list[dict[str, Any]]:
        """Cards counted per grid (the unit of the kiosk the kept vote was made at), every grid of the topic."""
        by_device = repo.voters_by_device(conn, topic_id)
        row = repo.topic(conn, topic_id)
        assert row is not None
        units = repo.kiosk_units(conn, repo.kiosks_under(conn, row["unit_code"]))
        per_unit: dict[str, int] = dict.fromkeys(units.values(), 0)
        for device, n in by_device.items():
            unit = units.get(device)
            if unit is not None:
                per_unit[unit] += n
        names = repo.unit_names(conn, per_unit)
        return [{"unit_code": code, "unit_name": names.get(code, code), "voters": n}
                for code, n in sorted(per_unit.items())]


def _comment_out(row: dict[str, Any]) -> dict[str, Any]:
    """A comment for the dashboard: the text (staff see it to moderate), never the card key."""
    return {"id": row["record_id"], "topic_id": row["topic_id"], "device_id": row["device_id"], "text": row["text"],
            "made_at": row["made_at"], "state": row["state"], "moderated_by": row["moderated_by"],
            "moderated_at": row["moderated_at"]}
