"""The one owner of the case tables: ``cases``, ``case_events`` (the append-only trail), ``task_deliveries``,
``dispatch_marks`` and ``action_outcomes``.

Functions take the caller's connection, so a service combines them in one transaction (a transition writes the
case row and its event together; the dispatcher writes tasks, their downlinks and its mark together). Other
domains' rows come in through their owners' views and predicates (``hub.org.repo``, ``hub.store.records``).
Read models for the dashboard, Open311 and the KPIs are in :mod:`hub.cases.views_repo` and
:mod:`hub.cases.kpi_repo`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hub.cases.rows import ACTION_EVENT_PREFIX, CaseEvent, CaseRow, TaskDelivery
from hub.store import records as record_rows
from hub.store.tables import (
    action_outcomes,
    case_events,
    case_reference_counters,
    cases,
    dispatch_marks,
    task_deliveries,
)

REPORT_EVENT_PREFIX = "report:"  # a report's intake event: client_event_id = prefix + its record id
EVENT_DEFAULTS: dict[str, Any] = {
    "outcome": "applied", "assignee": None, "category_code": None, "reason": "", "note": "", "evidence": None,
    "actor_device": None, "lat": None, "lon": None, "accuracy_m": None, "client_event_id": None, "operator_id": None}


# -- cases --------------------------------------------------------------------------------------------
def case(conn: sa.Connection, case_id: str, *, lock: bool = False) -> CaseRow | None:
    """One case; ``lock``: FOR UPDATE (PostgreSQL; SQLite's write transaction is already exclusive)."""
    query = sa.select(cases).where(cases.c.id == case_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return CaseRow(**row._mapping) if row else None


def next_reference_number(conn: sa.Connection, prefix: str, day: date) -> int:
    """The next number of the day for a reference prefix, in the caller's transaction: one atomic upsert, so two
    hub workers opening cases at once never get the same number (SQLite ≥ 3.35 and PostgreSQL alike)."""
    c = case_reference_counters  # named in full in the inserts: tests/hub/test_architecture.py finds writers by name
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(case_reference_counters).values(prefix=prefix, day=day, last=1)
    upsert = insert.on_conflict_do_update(index_elements=[c.c.prefix, c.c.day], set_={"last": c.c.last + 1})
    return int(conn.execute(upsert.returning(c.c.last)).scalar_one())


def case_by_reference(conn: sa.Connection, reference: str) -> CaseRow | None:
    row = conn.execute(sa.select(cases).where(cases.c.reference == reference)).first()
    return CaseRow(**row._mapping) if row else None


def case_id_by_source(conn: sa.Connection, source_id: str) -> str | None:
    found: str | None = conn.execute(sa.select(cases.c.id).where(cases.c.source_record_id == source_id)).scalar()
    return found


def insert_case(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(cases), dict(row))


def update_case(conn: sa.Connection, case_id: str, values: Mapping[str, Any], *,
                at_version: int | None = None) -> bool:
    """Change a case row; with ``at_version`` only if it is still at that version (optimistic concurrency)."""
    query = sa.update(cases).where(cases.c.id == case_id)
    if at_version is not None:
        query = query.where(cases.c.version == at_version)
    return conn.execute(query.values(**values)).rowcount == 1


def join_duplicate(conn: sa.Connection, case_id: str, level: str, now: datetime) -> None:
    """A duplicate report joined the case: one more report, a raised level, a new version."""
    conn.execute(sa.update(cases).where(cases.c.id == case_id).values(
        report_count=cases.c.report_count + 1, level=level, updated_at=now, version=cases.c.version + 1))


def near_open_cases(conn: sa.Connection, category_code: str, lat: tuple[float, float], lon: tuple[float, float],
                    live_states: Sequence[str]) -> list[CaseRow]:
    """Live cases of one category inside a lat/lon box, locked: concurrent duplicates queue up here instead of
    losing a level bump."""
    rows = conn.execute(sa.select(cases).where(
        cases.c.category_code == category_code, cases.c.state.in_(list(live_states)),
        cases.c.lat.between(*lat), cases.c.lon.between(*lon)).with_for_update())
    return [CaseRow(**r._mapping) for r in rows]


def closed_since(conn: sa.Connection, since: datetime, limit: int = 5000) -> list[CaseRow]:
    """Cases closed now whose closing is at or after ``since``, oldest closing first (回访, hub/followup)."""
    return [CaseRow(**r._mapping) for r in conn.execute(
        sa.select(cases).where(cases.c.state == "closed", cases.c.closed_at >= since)
        .order_by(cases.c.closed_at, cases.c.id).limit(limit))]


def cases_in_states(conn: sa.Connection, states: Sequence[str]) -> list[CaseRow]:
    return [CaseRow(**r._mapping) for r in conn.execute(sa.select(cases).where(cases.c.state.in_(list(states))))]


def levels_of_live(conn: sa.Connection, live_states: Sequence[str], *,
                   below_red: bool = False) -> list[tuple[str, str]]:
    """(case id, level) of live cases; ``below_red``: only those that can still rise."""
    query = sa.select(cases.c.id, cases.c.level).where(cases.c.state.in_(list(live_states)))
    if below_red:
        query = query.where(cases.c.level != "red")
    return [(i, lv) for i, lv in conn.execute(query)]


def set_level(conn: sa.Connection, case_id: str, level: str) -> None:
    """Not a state change: no version bump, so clients' expected_version stays valid."""
    conn.execute(sa.update(cases).where(cases.c.id == case_id).values(level=level))


def overdue(conn: sa.Connection, live_states: Sequence[str], now: datetime) -> list[CaseRow]:
    """Live, not suspended cases past their deadline."""
    return [CaseRow(**r._mapping) for r in conn.execute(sa.select(cases).where(
        cases.c.state.in_(list(live_states)), cases.c.state != "suspended", cases.c.deadline.is_not(None),
        cases.c.deadline < now))]


def escalate_row(conn: sa.Connection, case_id: str, *, escalation_level: str, at: datetime, level: str) -> None:
    conn.execute(sa.update(cases).where(cases.c.id == case_id).values(
        escalation_level=escalation_level, escalated_at=at, level=level))


def states_of(conn: sa.Connection, case_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """case id → (state, assignee)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    query = sa.select(cases.c.id, cases.c.state, cases.c.assignee).where(cases.c.id.in_(ids))
    return {i: (s, a) for i, s, a in conn.execute(query)}


def count_by_state(conn: sa.Connection) -> dict[str, int]:
    return {s: n for s, n in conn.execute(sa.select(cases.c.state, sa.func.count()).group_by(cases.c.state))}


def first_times(conn: sa.Connection, case_ids: Sequence[str],
                transitions: Iterable[str]) -> dict[str, dict[str, datetime]]:
    """When each case first went through each of ``transitions`` (the ledger's step times): case id → {transition:
    time}. Reads the trail's (case_id, seq) index, a few hundred cases at a time."""
    found: dict[str, dict[str, datetime]] = {}
    wanted = sorted(set(transitions))
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids[start:start + 500])
        query = (sa.select(case_events.c.case_id, case_events.c.transition, sa.func.min(case_events.c.at))
                 .where(case_events.c.case_id.in_(chunk), case_events.c.transition.in_(wanted))
                 .group_by(case_events.c.case_id, case_events.c.transition))
        for case_id, transition, at in conn.execute(query):
            found.setdefault(case_id, {})[transition] = at
    return found


def count_by_state_and_level(conn: sa.Connection) -> dict[tuple[str, str], int]:
    """Cases per (state, colour): the metrics' cases gauge."""
    query = sa.select(cases.c.state, cases.c.level, sa.func.count()).group_by(cases.c.state, cases.c.level)
    return {(state, level or "none"): n for state, level, n in conn.execute(query)}


# -- the trail ------------------------------------------------------------------------------------------
def events(conn: sa.Connection, case_id: str) -> list[CaseEvent]:
    query = sa.select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.seq)
    return [CaseEvent(**r._mapping) for r in conn.execute(query)]


def event_by_client_id(conn: sa.Connection, client_event_id: str) -> CaseEvent | None:
    row = conn.execute(sa.select(case_events).where(case_events.c.client_event_id == client_event_id)).first()
    return CaseEvent(**row._mapping) if row else None


def case_of_client_event(conn: sa.Connection, client_event_id: str) -> str | None:
    found: str | None = conn.execute(sa.select(case_events.c.case_id)
                                     .where(case_events.c.client_event_id == client_event_id)).scalar()
    return found


def insert_event(conn: sa.Connection, case_id: str, event: Mapping[str, Any]) -> CaseEvent:
    """Append to the case's trail with the next seq (unique per case: a concurrent writer makes the caller retry)."""
    seq = conn.execute(sa.select(sa.func.coalesce(sa.func.max(case_events.c.seq), 0))
                       .where(case_events.c.case_id == case_id)).scalar_one() + 1
    row = EVENT_DEFAULTS | dict(event) | {"case_id": case_id, "seq": seq}
    new_id = conn.execute(sa.insert(case_events).returning(case_events.c.id), row).scalar_one()
    return CaseEvent(id=new_id, **row)


def later_change_by_another(conn: sa.Connection, case_id: str, actor: str, at: datetime,
                            non_state: Iterable[str]) -> CaseEvent | None:
    """The first applied state change by someone other than ``actor`` after ``at`` (what makes an offline
    device action stale)."""
    row = conn.execute(sa.select(case_events).where(
        case_events.c.case_id == case_id, case_events.c.outcome == "applied", case_events.c.actor != actor,
        case_events.c.transition.not_in(sorted(non_state)), case_events.c.at > at)
        .order_by(case_events.c.seq).limit(1)).first()
    return CaseEvent(**row._mapping) if row else None


def last_applied_at(conn: sa.Connection, case_id: str, transitions: Sequence[str]) -> datetime | None:
    when: datetime | None = conn.execute(sa.select(sa.func.max(case_events.c.at)).where(
        case_events.c.case_id == case_id, case_events.c.outcome == "applied",
        case_events.c.transition.in_(list(transitions)))).scalar()
    return when


def escalated_since(conn: sa.Connection, case_id: str, reason: str, since: datetime) -> bool:
    return conn.execute(sa.select(case_events.c.id).where(
        case_events.c.case_id == case_id, case_events.c.transition == "escalate",
        case_events.c.reason == reason, case_events.c.at >= since).limit(1)).first() is not None


def applied_evidence(conn: sa.Connection, case_id: str) -> list[list[Any]]:
    """The evidence lists (photo sha256s) of the case's applied events, in trail order."""
    return [e or [] for e in conn.execute(sa.select(case_events.c.evidence).where(
        case_events.c.case_id == case_id, case_events.c.outcome == "applied").order_by(case_events.c.seq)).scalars()]


def action_record_ids(case_id: str) -> sa.Select[str]:
    """``SELECT`` the record ids of the device actions in the case's trail (event ``action:<record id>``)."""
    return sa.select(sa.func.substr(case_events.c.client_event_id, len(ACTION_EVENT_PREFIX) + 1)).where(
        case_events.c.case_id == case_id, case_events.c.client_event_id.like(f"{ACTION_EVENT_PREFIX}%"))


def applied_action_seqs(case_id: str) -> sa.Select[str, int]:
    """(device id, its newest action seq) among the case's events: what each phone's task says was applied.
    The records are looked up by id and kind, so PostgreSQL reads only ``records_other``; joining on
    "'action:' || records.id" instead can use no index and read every record, position partitions too."""
    return record_rows.newest_seq_per_device(action_record_ids(case_id), "action")


def report_taken(record_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The report with this record id has been taken in (its intake event exists): for the records' owner."""
    return sa.exists(sa.select(case_events.c.id).where(
        case_events.c.client_event_id == sa.literal(REPORT_EVENT_PREFIX) + record_id))


def cites_photo(conn: sa.Connection, sha256: str, uploader: str, scope_units: sa.Select[str] | None) -> bool:
    """A case (whose unit is among ``scope_units``; None = any) cites the photo in an event made by the device
    that uploaded it (``uploader``): its report, or its own action's evidence. A citation by anyone else - an API
    note, another device naming the hash - shares nothing."""
    cited = sa.select(case_events.c.case_id).where(case_events.c.actor_device == uploader,
                                                   sa.cast(case_events.c.evidence, sa.Text).contains(sha256))
    query = sa.select(cases.c.id).where(cases.c.id.in_(cited)).limit(1)
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    return conn.execute(query).first() is not None


def in_units(scope_units: sa.Select[str]) -> sa.ColumnElement[bool]:
    """The case's unit (its grid, else its community: 属地兜底) is one of ``scope_units`` (a ``SELECT code``, e.g.
    ``hub.org.repo.unit_subtree``). A case with neither is in no unit: only an unfiltered read sees it."""
    return sa.func.coalesce(cases.c.grid_code, cases.c.community_code).in_(scope_units)


def last_applied(conn: sa.Connection, case_id: str, transitions: Sequence[str]) -> CaseEvent | None:
    """The case's newest applied event among ``transitions`` (e.g. the resolve that made the current resolver)."""
    row = conn.execute(sa.select(case_events).where(
        case_events.c.case_id == case_id, case_events.c.outcome == "applied",
        case_events.c.transition.in_(list(transitions))).order_by(case_events.c.seq.desc()).limit(1)).first()
    return CaseEvent(**row._mapping) if row else None


# -- device actions ----------------------------------------------------------------------------------------
def action_handled(record_id: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The stored action with this record id has an outcome (applied, rejected or dead): for the records' owner."""
    return sa.exists(sa.select(action_outcomes.c.record_id).where(action_outcomes.c.record_id == record_id))


def action_outcome(conn: sa.Connection, record_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(action_outcomes).where(action_outcomes.c.record_id == record_id)).first()
    return dict(row._mapping) if row else None


def forget_dead_outcome(conn: sa.Connection, record_id: str) -> bool:
    """Drop a ``dead`` outcome so the action can be applied again after a fix (an admin's replay); applied and
    rejected outcomes stay final. True when there was one."""
    return bool(conn.execute(sa.delete(action_outcomes).where(action_outcomes.c.record_id == record_id,
                                                              action_outcomes.c.outcome == "dead")).rowcount)


def record_action_outcome(conn: sa.Connection, row: Mapping[str, Any]) -> bool:
    """Write an action's outcome once; False when one is already there."""
    if action_outcome(conn, row["record_id"]) is not None:
        return False
    conn.execute(sa.insert(action_outcomes), dict(row))
    return True


# -- dispatch marks ------------------------------------------------------------------------------------------
def undispatched_events(conn: sa.Connection, after_id: int | None, limit: int) -> list[CaseEvent]:
    """Events the dispatcher has not marked, by id; ``after_id``: only those above it."""
    done = sa.select(dispatch_marks.c.event_id).where(dispatch_marks.c.event_id == case_events.c.id)
    query = sa.select(case_events).where(~sa.exists(done))
    if after_id is not None:
        query = query.where(case_events.c.id > after_id)
    return [CaseEvent(**r._mapping) for r in conn.execute(query.order_by(case_events.c.id).limit(limit))]


def last_event_id(conn: sa.Connection, case_id: str) -> int:
    """The newest event id of one case (0: none). Under the case's lock no event of it is in flight."""
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(case_events.c.id), 0))
                        .where(case_events.c.case_id == case_id)).scalar_one()


def is_dispatched(conn: sa.Connection, event_id: int) -> bool:
    return conn.execute(sa.select(dispatch_marks.c.event_id).where(dispatch_marks.c.event_id == event_id)).first() \
        is not None


def mark_dispatched(conn: sa.Connection, event_id: int, at: datetime, outcome: str) -> None:
    conn.execute(sa.insert(dispatch_marks), {"event_id": event_id, "processed_at": at, "outcome": outcome[:32]})


# -- task deliveries ---------------------------------------------------------------------------------------
def deliveries(conn: sa.Connection, case_id: str, *, include_withdrawn: bool = True) -> list[TaskDelivery]:
    query = sa.select(task_deliveries).where(task_deliveries.c.case_id == case_id).order_by(task_deliveries.c.id)
    if not include_withdrawn:
        query = query.where(task_deliveries.c.withdrawn_at.is_(None))
    return [TaskDelivery(**r._mapping) for r in conn.execute(query)]


def delivery(conn: sa.Connection, delivery_id: int) -> TaskDelivery | None:
    row = conn.execute(sa.select(task_deliveries).where(task_deliveries.c.id == delivery_id)).first()
    return TaskDelivery(**row._mapping) if row else None


def insert_delivery(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(task_deliveries), dict(row))


def update_delivery(conn: sa.Connection, delivery_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == delivery_id).values(**values))


def count_resend(conn: sa.Connection, delivery_id: int, values: Mapping[str, Any]) -> None:
    """A reminder (催办) went out: the new message, and one more resend."""
    conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id == delivery_id).values(
        **values, resend_count=task_deliveries.c.resend_count + 1))


def unaccepted_handler_tasks(conn: sa.Connection, case_id: str, since: datetime) -> list[TaskDelivery]:
    """The case's open handler tasks not accepted in the round that began at ``since`` (after a rework the same
    task row may hold an older accept and reminder)."""
    t = task_deliveries.c
    return [TaskDelivery(**r._mapping) for r in conn.execute(sa.select(task_deliveries).where(
        t.case_id == case_id, t.role == "handler", t.withdrawn_at.is_(None),
        sa.or_(t.accepted_at.is_(None), t.accepted_at < since)))]


def mark_escalated(conn: sa.Connection, delivery_ids: Sequence[int], at: datetime) -> None:
    conn.execute(sa.update(task_deliveries).where(task_deliveries.c.id.in_(list(delivery_ids))).values(escalated_at=at))


def note_accept(conn: sa.Connection, case_id: str, person_id: str, at: datetime) -> None:
    """The handler's applied accept: the latest counts (a rework round is accepted again)."""
    t = task_deliveries.c
    conn.execute(sa.update(task_deliveries).where(
        t.case_id == case_id, t.person_id == person_id, t.role == "handler", t.withdrawn_at.is_(None),
        sa.or_(t.accepted_at.is_(None), t.accepted_at < at)).values(accepted_at=at))


def deliveries_behind(conn: sa.Connection, receipts: sa.Subquery, limit: int = 1000) -> list[tuple[int, Any, Any, Any]]:
    """(delivery id, sent, delivered, read) of open tasks whose latest downlink (``receipts``: the downlinks'
    owner's view) got further than the task row knows."""
    t, d = task_deliveries.c, receipts.c
    behind = sa.or_(sa.and_(t.sent_at.is_(None), d.last_sent_at.is_not(None)),
                    sa.and_(t.delivered_at.is_(None), d.delivered_at.is_not(None)),
                    sa.and_(t.read_at.is_(None), d.read_at.is_not(None)))
    query = (sa.select(t.id, d.last_sent_at, d.delivered_at, d.read_at)
             .join(receipts, d.id == t.downlink_id).where(t.withdrawn_at.is_(None), behind).limit(limit))
    return [(i, s, dv, r) for i, s, dv, r in conn.execute(query)]


def copy_receipt(conn: sa.Connection, delivery_id: int, sent: datetime | None, delivered: datetime | None,
                 read: datetime | None) -> None:
    """First time wins: each of sent / delivered / read is set once."""
    t = task_deliveries

    def at(value: datetime | None) -> Any:
        return sa.bindparam(None, value, type_=t.c.sent_at.type) if value is not None else sa.null()

    conn.execute(sa.update(t).where(t.c.id == delivery_id).values(
        sent_at=sa.func.coalesce(t.c.sent_at, at(sent)), delivered_at=sa.func.coalesce(t.c.delivered_at, at(delivered)),
        read_at=sa.func.coalesce(t.c.read_at, at(read))))


# -- what Open311 publishes ------------------------------------------------------------------------------------
def set_public_note(conn: sa.Connection, case_id: str, text: str | None, by: str, at: datetime) -> bool:
    """An operator approves the public description of a case (None: back to the redacted report text)."""
    return conn.execute(sa.update(cases).where(cases.c.id == case_id).values(
        public_note=text, public_note_by=by if text is not None else None,
        public_note_at=at if text is not None else None)).rowcount == 1


# -- triage, merges and alarms (hub/cases/triage.py) -------------------------------------------------------
def join_merged(conn: sa.Connection, case_id: str, reports: int, level: str, now: datetime) -> None:
    """A triaged case was merged into this one: its reports join (``reports`` of them), the level rises, a new
    version - as for an automatic duplicate (:func:`join_duplicate`)."""
    conn.execute(sa.update(cases).where(cases.c.id == case_id).values(
        report_count=cases.c.report_count + reports, level=level, updated_at=now, version=cases.c.version + 1))


def waiting_reported(conn: sa.Connection, scope_units: sa.Select[str] | None, limit: int) -> list[CaseRow]:
    """Cases still ``reported`` (in ``scope_units``; None = all, unplaced ones too): the red and the urgent first,
    then the oldest. The caller keeps those that wait for a person (hub/cases/triage.py)."""
    urgent = sa.or_(cases.c.level == "red", cases.c.severity == "urgent")
    query = sa.select(cases).where(cases.c.state == "reported")
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    query = query.order_by(sa.case((urgent, 0), else_=1), cases.c.created_at, cases.c.id).limit(limit)
    return [CaseRow(**r._mapping) for r in conn.execute(query)]


def open_alarms(conn: sa.Connection, scope_units: sa.Select[str] | None, limit: int) -> list[CaseRow]:
    """Cases whose alarm nobody has acknowledged yet (in ``scope_units``; None = all), the newest alarm first."""
    query = sa.select(cases).where(cases.c.alarm_at.is_not(None), cases.c.alarm_acked_at.is_(None))
    if scope_units is not None:
        query = query.where(in_units(scope_units))
    return [CaseRow(**r._mapping) for r in conn.execute(
        query.order_by(cases.c.alarm_at.desc(), cases.c.id.desc()).limit(limit))]


def acknowledge_alarm(conn: sa.Connection, case_id: str, at: datetime, by: str) -> bool:
    """Record the acknowledgement of a raised alarm; False when there is none, or it was acknowledged already."""
    return conn.execute(sa.update(cases).where(
        cases.c.id == case_id, cases.c.alarm_at.is_not(None), cases.c.alarm_acked_at.is_(None)).values(
        alarm_acked_at=at, alarm_acked_by=by)).rowcount == 1
