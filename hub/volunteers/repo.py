"""The one owner of ``volunteer_hours`` (the hour ledger, half-hour units)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from hub.store.tables import volunteer_hours


def insert(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """One ledger entry; a system entry's unique source id refuses a second credit (IntegrityError)."""
    conn.execute(sa.insert(volunteer_hours), dict(row))


def entries(conn: sa.Connection, person_ids: Iterable[str]) -> list[dict[str, Any]]:
    query = (sa.select(volunteer_hours).where(volunteer_hours.c.person_id.in_(sorted(set(person_ids))))
             .order_by(volunteer_hours.c.person_id, volunteer_hours.c.at, volunteer_hours.c.id))
    return [dict(r._mapping) for r in conn.execute(query)]


def totals(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """person → {kind: units} (redemptions negative)."""
    query = (sa.select(volunteer_hours.c.person_id, volunteer_hours.c.kind, sa.func.sum(volunteer_hours.c.units))
             .where(volunteer_hours.c.person_id.in_(sorted(set(person_ids))))
             .group_by(volunteer_hours.c.person_id, volunteer_hours.c.kind))
    found: dict[str, dict[str, int]] = {}
    for person, kind, units in conn.execute(query):
        found.setdefault(person, {})[kind] = int(units or 0)
    return found
