"""The one owner of ``case_followups`` (one row per closing of a case) and ``followup_answer_outcomes`` (what
became of each stored followup uplink record). Functions take the caller's connection, so the service writes an
answer, the case's reopening and the prompts' withdrawal in one transaction. Other domains' rows come through their
owners (``hub.cases.repo``, ``hub.org.repo``)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.store.tables import case_followups, followup_answer_outcomes

AWAITING = ("pending", "not_reached")  # states in which an answer is still taken


@dataclass(frozen=True, slots=True)
class FollowupRow:
    id: str
    case_id: str
    round: int
    reference: str | None
    grid_code: str | None
    community_code: str | None
    category_code: str
    title: str
    resident_key: str | None
    state: str
    closed_at: datetime
    due_at: datetime
    prompted_at: datetime | None
    withdrawn_at: datetime | None
    answer: str | None
    channel: str | None
    answered_at: datetime | None
    answered_by: str | None
    operator_id: str | None
    answer_record_id: str | None
    attempts: int
    created_at: datetime

    def overdue(self, now: datetime) -> bool:
        """未回访: still awaiting an answer after the window."""
        return self.state in AWAITING and now >= self.due_at


def _row(r: Any) -> FollowupRow:
    return FollowupRow(**r._mapping)


# -- rows ---------------------------------------------------------------------------------------------------------
def rounds_of(conn: sa.Connection, case_ids: Sequence[str]) -> dict[str, list[FollowupRow]]:
    """case id → its follow-up rows, oldest round first."""
    found: dict[str, list[FollowupRow]] = {}
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids[start:start + 500])
        for r in conn.execute(sa.select(case_followups).where(case_followups.c.case_id.in_(chunk))
                              .order_by(case_followups.c.case_id, case_followups.c.round)):
            found.setdefault(r.case_id, []).append(_row(r))
    return found


def latest(conn: sa.Connection, case_id: str, *, lock: bool = False) -> FollowupRow | None:
    """The case's current (highest-round) follow-up."""
    query = (sa.select(case_followups).where(case_followups.c.case_id == case_id)
             .order_by(case_followups.c.round.desc()).limit(1))
    row = conn.execute(query.with_for_update() if lock else query).first()
    return _row(row) if row else None


def insert(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(case_followups), dict(values))


def update(conn: sa.Connection, followup_id: str, values: Mapping[str, Any], *,
           awaiting_only: bool = False) -> bool:
    """Change one row; ``awaiting_only``: only while it still takes an answer (first answer wins, also between
    hub workers). True when a row changed."""
    query = sa.update(case_followups).where(case_followups.c.id == followup_id)
    if awaiting_only:
        query = query.where(case_followups.c.state.in_(AWAITING))
    return conn.execute(query.values(**values)).rowcount == 1


def unprompted(conn: sa.Connection, now: datetime, limit: int = 500) -> list[FollowupRow]:
    """Pending rows with a card key whose prompts have not gone out yet, window still open."""
    return [_row(r) for r in conn.execute(sa.select(case_followups).where(
        case_followups.c.state == "pending", case_followups.c.resident_key.is_not(None),
        case_followups.c.prompted_at.is_(None), case_followups.c.due_at > now)
        .order_by(case_followups.c.closed_at).limit(limit))]


def queue(conn: sa.Connection, *, scope_units: sa.Select[str] | None, states: Sequence[str] = AWAITING,
          limit: int = 200) -> list[FollowupRow]:
    """The follow-up queue: rows in ``states``, those whose window ended longest ago first (overdue first), then
    the ones due soonest."""
    query = sa.select(case_followups).where(case_followups.c.state.in_(list(states)))
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    return [_row(r) for r in conn.execute(query.order_by(case_followups.c.due_at, case_followups.c.id).limit(limit))]


def answered_recently(conn: sa.Connection, *, scope_units: sa.Select[str] | None, channel: str | None = None,
                      limit: int = 50) -> list[FollowupRow]:
    query = sa.select(case_followups).where(case_followups.c.state == "answered")
    if channel is not None:
        query = query.where(case_followups.c.channel == channel)
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    return [_row(r) for r in conn.execute(query.order_by(case_followups.c.answered_at.desc()).limit(limit))]


def in_units(scope_units: sa.Select[str]) -> sa.ColumnElement[bool]:
    """The follow-up's case unit (grid, else community) is in ``scope_units`` - as ``hub.cases.repo.in_units``."""
    return sa.func.coalesce(case_followups.c.grid_code, case_followups.c.community_code).in_(scope_units)


def answered_between(conn: sa.Connection, start: datetime, end: datetime, *, internal: Sequence[str],
                     ids: Sequence[str] | None = None, limit: int = 1000) -> list[FollowupRow]:
    """Answered follow-ups in [start, end] of cases not in the ``internal`` categories, oldest first (Open311)."""
    query = sa.select(case_followups).where(
        case_followups.c.state == "answered", case_followups.c.answered_at >= start,
        case_followups.c.answered_at <= end, case_followups.c.category_code.not_in(list(internal)))
    if ids:
        query = query.where(case_followups.c.case_id.in_(list(ids)))
    return [_row(r) for r in conn.execute(query.order_by(case_followups.c.answered_at).limit(limit))]


# -- KPIs ---------------------------------------------------------------------------------------------------------
def kpi_counts(conn: sa.Connection, start: datetime, end: datetime, now: datetime, *, by: str | None,
               scope_units: sa.Select[str] | None) -> list[dict[str, Any]]:
    """Per group (``by``: grid | category | None for one total) of the follow-ups of closings in [start, end):
    due (window over, or answered / not reached already), answered, and the answers by kind. Skipped (not
    sampled) rows count nowhere."""
    f = case_followups
    due = sa.or_(f.c.due_at <= now, f.c.state.in_(["answered", "not_reached"]))
    cols: list[Any] = [
        sa.func.sum(sa.case((due, 1), else_=0)).label("due"),
        sa.func.sum(sa.case((f.c.state == "answered", 1), else_=0)).label("answered"),
        sa.func.sum(sa.case((f.c.answer == "satisfied", 1), else_=0)).label("satisfied"),
        sa.func.sum(sa.case((f.c.answer == "basically_satisfied", 1), else_=0)).label("basically_satisfied"),
        sa.func.sum(sa.case((f.c.answer == "dissatisfied", 1), else_=0)).label("dissatisfied"),
        sa.func.sum(sa.case((f.c.state == "not_reached", 1), else_=0)).label("not_reached"),
        sa.func.sum(sa.case((sa.and_(f.c.state == "pending", f.c.due_at <= now), 1), else_=0)).label("overdue"),
    ]
    key = {"grid": f.c.grid_code, "category": f.c.category_code}.get(by or "")
    query = sa.select(*([key.label("key")] if key is not None else []), *cols).where(
        f.c.state != "skipped", f.c.closed_at >= start, f.c.closed_at < end)
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    if key is not None:
        query = query.group_by(key).order_by(key)
    return [{k: (v if k == "key" else int(v or 0)) for k, v in r._mapping.items()} for r in conn.execute(query)]


# -- answers from kiosks ------------------------------------------------------------------------------------------
def handled(conn: sa.Connection, record_ids: Sequence[str]) -> set[str]:
    if not record_ids:
        return set()
    return set(conn.execute(sa.select(followup_answer_outcomes.c.record_id)
                            .where(followup_answer_outcomes.c.record_id.in_(list(record_ids)))).scalars())


def record_outcome(conn: sa.Connection, record_id: str, case_id: str | None, outcome: str, at: datetime) -> None:
    conn.execute(sa.insert(followup_answer_outcomes),
                 {"record_id": record_id, "case_id": case_id, "outcome": outcome[:24], "at": at})


def outcome_of(conn: sa.Connection, record_id: str) -> str | None:
    found: str | None = conn.execute(sa.select(followup_answer_outcomes.c.outcome).where(
        followup_answer_outcomes.c.record_id == record_id)).scalar()
    return found


# -- kiosks (read through the org domain) -------------------------------------------------------------------------
def kiosks_in(conn: sa.Connection, community_code: str | None) -> list[str]:
    """Device ids of the kiosks bound to the community or any unit under it."""
    if not community_code:
        return []
    binding = org_repo.binding_view()
    return sorted(conn.execute(sa.select(binding.c.device_id).where(
        binding.c.kind == "kiosk", binding.c.unit_code.in_(org_repo.unit_subtree(community_code)))).scalars())


def kiosk_community(conn: sa.Connection, device_id: str) -> str | None:
    binding = org_repo.binding_view()
    row = conn.execute(sa.select(binding.c.kind, binding.c.unit_code)
                       .where(binding.c.device_id == device_id)).first()
    if row is None or row.kind != "kiosk" or not row.unit_code:
        return None
    return next((u.code for u in org_repo.unit_chain(conn, row.unit_code) if u.level == "community"), None)


def category_names(conn: sa.Connection, code: str) -> tuple[str, str]:
    row = org_repo.category_row(conn, code)
    return (row["name_zh"], row.get("name_en") or "") if row else ("", "")
