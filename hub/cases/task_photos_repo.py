"""Reads for the photos of tasks: which transition brought each photo into a case (its role on the phone), which
devices hold an open task citing a photo (the device photo route's scope), and the open tasks' photos (to send a
task again when a photo it cites reaches the hub). Reads only; the case tables' writer is :mod:`hub.cases.repo`."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.store.tables import case_events, task_deliveries


def evidence_by_transition(conn: sa.Connection, case_id: str) -> list[tuple[str, list[Any]]]:
    """(transition, evidence list) of the case's applied events that carry photos, in trail order."""
    query = (sa.select(case_events.c.transition, case_events.c.evidence)
             .where(case_events.c.case_id == case_id, case_events.c.outcome == "applied",
                    case_events.c.evidence.is_not(None))
             .order_by(case_events.c.seq))
    return [(transition, list(evidence or [])) for transition, evidence in conn.execute(query)]


def _open_cases_of(device_id: str) -> sa.Select[Any]:
    return sa.select(task_deliveries.c.case_id).where(task_deliveries.c.device_id == device_id,
                                                     task_deliveries.c.withdrawn_at.is_(None))


def device_holds_photo(conn: sa.Connection, device_id: str, sha256: str) -> bool:
    """The device holds an open (not withdrawn) task of a case whose applied trail cites the photo."""
    query = (sa.select(case_events.c.id)
             .where(case_events.c.case_id.in_(_open_cases_of(device_id)), case_events.c.outcome == "applied",
                    sa.cast(case_events.c.evidence, sa.Text).contains(sha256))
             .limit(1))
    return conn.execute(query).first() is not None


def open_task_photos(conn: sa.Connection) -> dict[str, set[str]]:
    """case id → the photos cited by its applied trail, for every case some device holds an open task of."""
    open_cases = sa.select(task_deliveries.c.case_id).where(task_deliveries.c.withdrawn_at.is_(None)).distinct()
    query = sa.select(case_events.c.case_id, case_events.c.evidence).where(
        case_events.c.case_id.in_(open_cases), case_events.c.outcome == "applied",
        case_events.c.evidence.is_not(None))
    found: dict[str, set[str]] = {}
    for case_id, evidence in conn.execute(query):
        shas = {p for p in evidence or [] if isinstance(p, str)}
        if shas:
            found.setdefault(case_id, set()).update(shas)
    return found
