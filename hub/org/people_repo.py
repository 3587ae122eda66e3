"""The ``people_inactive`` table's one owner: people taken off duty (停用) by an admin. The people themselves are
written by ``hub/org/repo.py`` only; this module reads them beside their marks for the admin's list."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from hub.store.tables import device_bindings, people, people_inactive


@dataclass(frozen=True)
class InactiveMark:
    person_id: str
    since: datetime
    by_operator: str
    reason: str


def inactive_ids() -> sa.Select[tuple[str]]:
    """``SELECT person_id`` of everyone off duty, for a caller's ``NOT IN``."""
    return sa.select(people_inactive.c.person_id)


def marks(conn: sa.Connection, person_ids: Iterable[str] | None = None) -> dict[str, InactiveMark]:
    query = sa.select(people_inactive)
    if person_ids is not None:
        ids = sorted(set(person_ids))
        if not ids:
            return {}
        query = query.where(people_inactive.c.person_id.in_(ids))
    return {r.person_id: InactiveMark(**r._mapping) for r in conn.execute(query)}


def mark_inactive(conn: sa.Connection, mark: InactiveMark) -> bool:
    """True when newly marked (an already inactive person keeps their first mark)."""
    if conn.execute(sa.select(people_inactive.c.person_id)
                    .where(people_inactive.c.person_id == mark.person_id)).first() is not None:
        return False
    conn.execute(sa.insert(people_inactive), vars(mark).copy())
    return True


def clear_inactive(conn: sa.Connection, person_id: str) -> bool:
    return bool(conn.execute(sa.delete(people_inactive).where(people_inactive.c.person_id == person_id)).rowcount)


def people_ids_listed(conn: sa.Connection, *, units_in: sa.Select[str] | None, unit_code: str | None = None,
                      role: str | None = None, active: bool | None = None, limit: int = 2000) -> list[str]:
    """Ids of the people matching the admin list's filters, by unit then id (``units_in``: the scope's units)."""
    query = sa.select(people.c.id).order_by(people.c.unit_code, people.c.id).limit(limit)
    if units_in is not None:
        query = query.where(people.c.unit_code.in_(units_in))
    if unit_code:
        query = query.where(people.c.unit_code == unit_code)
    if role:
        query = query.where(people.c.role == role)
    if active is True:
        query = query.where(people.c.id.not_in(inactive_ids()))
    elif active is False:
        query = query.where(people.c.id.in_(inactive_ids()))
    return list(conn.execute(query).scalars())


def bound_device(conn: sa.Connection, device_id: str) -> tuple[str, str] | None:
    """(kind, unit code) of a bound device, or None."""
    row = conn.execute(sa.select(device_bindings.c.kind, device_bindings.c.unit_code)
                       .where(device_bindings.c.device_id == device_id)).first()
    return None if row is None else (row.kind, row.unit_code)
