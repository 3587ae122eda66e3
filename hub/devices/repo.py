"""The one owner of the device-identity tables: ``device_identities`` (enrolment codes, hashed broker passwords,
revocation) and ``device_flags`` (spoofing and rate-limit flags for an admin to look at)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.store.tables import device_flags, device_identities

Row = dict[str, Any]


# -- identities -------------------------------------------------------------------------------------------
def identity_state(conn: sa.Connection, device_id: str) -> str | None:
    state: str | None = conn.execute(sa.select(device_identities.c.state)
                                     .where(device_identities.c.device_id == device_id)).scalar()
    return state


def insert_identity(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(device_identities), dict(row))


def update_identity(conn: sa.Connection, device_id: str, values: Mapping[str, Any], *,
                    code_sha256: str | None = None) -> bool:
    """Change one identity; with ``code_sha256`` only while that enrolment code is still on it (two racing
    exchanges of one code: one winner)."""
    query = sa.update(device_identities).where(device_identities.c.device_id == device_id)
    if code_sha256 is not None:
        query = query.where(device_identities.c.enroll_code_sha256 == code_sha256)
    return conn.execute(query.values(**values)).rowcount == 1


def by_code(conn: sa.Connection, code_sha256: str) -> tuple[str, datetime | None] | None:
    """(device id, code expiry) of the identity holding this enrolment code."""
    row = conn.execute(sa.select(device_identities.c.device_id, device_identities.c.enroll_expires_at)
                       .where(device_identities.c.enroll_code_sha256 == code_sha256)).first()
    return (row.device_id, row.enroll_expires_at) if row else None


def _identity_query() -> sa.Select[Any]:
    binding = org_repo.binding_view()
    return (sa.select(device_identities, binding.c.kind, binding.c.unit_code, binding.c.owner_person_id,
                      device_flags.c.reason.label("flag_reason"), device_flags.c.detail.label("flag_detail"),
                      device_flags.c.count.label("flag_count"), device_flags.c.first_at.label("flag_first_at"),
                      device_flags.c.last_at.label("flag_last_at"), device_flags.c.cleared_at.label("flag_cleared_at"))
            .select_from(device_identities
                         .outerjoin(binding, binding.c.device_id == device_identities.c.device_id)
                         .outerjoin(device_flags, device_flags.c.device_id == device_identities.c.device_id))
            .order_by(device_identities.c.device_id))


def identities(conn: sa.Connection, device_id: str | None = None) -> list[Row]:
    """Identities with their binding (kind, unit, owner) and flag columns (``flag_*``), by device id."""
    query = _identity_query()
    if device_id is not None:
        query = query.where(device_identities.c.device_id == device_id)
    return [dict(r._mapping) for r in conn.execute(query)]


def states(conn: sa.Connection) -> dict[str, str]:
    return {d: s for d, s in conn.execute(sa.select(device_identities.c.device_id, device_identities.c.state))}


def broker_accounts(conn: sa.Connection) -> list[tuple[str, str]]:
    """(device id, password hash) of active devices with a password: who the broker's password file lets in."""
    query = (sa.select(device_identities.c.device_id, device_identities.c.password_hash)
             .where(device_identities.c.state == "active", device_identities.c.password_hash.is_not(None))
             .order_by(device_identities.c.device_id))
    return [(d, h) for d, h in conn.execute(query)]


# -- flags ----------------------------------------------------------------------------------------------------
def flag_exists(conn: sa.Connection, device_id: str) -> bool:
    return conn.execute(sa.select(device_flags.c.device_id).where(device_flags.c.device_id == device_id)).first() \
        is not None


def insert_flag(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(device_flags), dict(row))


def raise_flag(conn: sa.Connection, device_id: str, values: Mapping[str, Any], times: int) -> None:
    """Re-raise an existing flag: ``count`` grows by ``times``, any clearing is undone."""
    conn.execute(sa.update(device_flags).where(device_flags.c.device_id == device_id).values(
        **values, count=device_flags.c.count + times, cleared_at=None, cleared_by=None))


def clear_flag(conn: sa.Connection, device_id: str, at: datetime, by: str) -> bool:
    done = conn.execute(sa.update(device_flags).where(device_flags.c.device_id == device_id,
                                                      device_flags.c.cleared_at.is_(None))
                        .values(cleared_at=at, cleared_by=by))
    return done.rowcount == 1


def last_flagged_dead_letter(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(device_flags.c.last_dead_letter_id))).scalar() or 0)


def open_flags(conn: sa.Connection, device_ids: Iterable[str] | None = None) -> list[Row]:
    query = sa.select(device_flags).where(device_flags.c.cleared_at.is_(None))
    if device_ids is not None:
        query = query.where(device_flags.c.device_id.in_(list(device_ids)))
    return [dict(r._mapping) for r in conn.execute(query)]
