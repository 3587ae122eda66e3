"""The one owner of the sign-in tables: ``operators``, ``operator_sessions``, ``api_keys`` and ``access_log``."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.store.tables import access_log, api_keys, operator_sessions, operators

Row = dict[str, Any]


# -- operators ------------------------------------------------------------------------------------------
def operator(conn: sa.Connection, operator_id: str) -> Row | None:
    row = conn.execute(sa.select(operators).where(operators.c.id == operator_id)).first()
    return dict(row._mapping) if row else None


def operator_by_name(conn: sa.Connection, username: str) -> Row | None:
    row = conn.execute(sa.select(operators).where(operators.c.username == username)).first()
    return dict(row._mapping) if row else None


def all_operators(conn: sa.Connection) -> list[Row]:
    return [dict(r._mapping) for r in conn.execute(sa.select(operators).order_by(operators.c.username))]


def count_enabled(conn: sa.Connection, role: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(operators)
                            .where(operators.c.role == role, operators.c.disabled.is_(False))).scalar_one())


def insert_operator(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(operators), dict(row))


def update_operator(conn: sa.Connection, operator_id: str, values: Mapping[str, Any]) -> bool:
    return bool(conn.execute(sa.update(operators).where(operators.c.id == operator_id).values(**values)).rowcount)


def operator_ids_scoped_under(prefix: str) -> sa.Select[str]:
    """``SELECT id`` of the operators whose scope lies in the subtree whose codes start with ``prefix``."""
    return sa.select(operators.c.id).where(operators.c.scope_code.like(f"{prefix}%"))


# -- sessions --------------------------------------------------------------------------------------------
def insert_session(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(operator_sessions), dict(row))


def revoke_sessions(conn: sa.Connection, operator_id: str, at: datetime) -> None:
    conn.execute(sa.update(operator_sessions).where(operator_sessions.c.operator_id == operator_id,
                                                    operator_sessions.c.revoked_at.is_(None)).values(revoked_at=at))


def revoke_session(conn: sa.Connection, token_sha256: str, at: datetime) -> bool:
    return bool(conn.execute(sa.update(operator_sessions).where(
        operator_sessions.c.token_sha256 == token_sha256, operator_sessions.c.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount)


def session_with_operator(conn: sa.Connection, token_sha256: str) -> Row | None:
    """The session's operator row plus the session's ``expires_at`` and ``revoked_at``."""
    row = conn.execute(sa.select(operators, operator_sessions.c.expires_at, operator_sessions.c.revoked_at)
                       .join(operator_sessions, operator_sessions.c.operator_id == operators.c.id)
                       .where(operator_sessions.c.token_sha256 == token_sha256)).first()
    return dict(row._mapping) if row else None


# -- Open311 API keys ---------------------------------------------------------------------------------------
def insert_api_key(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(api_keys), dict(row))


def api_key(conn: sa.Connection, key_id: str) -> Row | None:
    row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
    return dict(row._mapping) if row else None


def api_key_by_hash(conn: sa.Connection, key_sha256: str) -> Row | None:
    row = conn.execute(sa.select(api_keys).where(api_keys.c.key_sha256 == key_sha256)).first()
    return dict(row._mapping) if row else None


def all_api_keys(conn: sa.Connection) -> list[Row]:
    return [dict(r._mapping) for r in conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))]


def revoke_api_key(conn: sa.Connection, key_id: str, at: datetime) -> None:
    conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                 .values(revoked_at=at))


# -- the access log ------------------------------------------------------------------------------------------
def insert_access(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(access_log), dict(row))


def access_rows(conn: sa.Connection, *, scope_prefix: str | None = None, operator_id: str | None = None,
                route: str | None = None, resource_id: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 100, before_id: int | None = None) -> list[Row]:
    """Newest first. ``scope_prefix``: only rows of operators scoped inside that subtree (None = all rows,
    anonymous and API-key ones included). ``resource_id``: rows that name that id anywhere."""
    query = sa.select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    if scope_prefix is not None:
        query = query.where(access_log.c.operator_id.in_(operator_ids_scoped_under(scope_prefix)))
    if operator_id:
        query = query.where(access_log.c.operator_id == operator_id)
    if route:
        query = query.where(access_log.c.route == route)
    if resource_id:
        query = query.where(sa.cast(access_log.c.resource_ids, sa.Text).contains(f'"{resource_id}"'))
    if since:
        query = query.where(access_log.c.at >= since)
    if until:
        query = query.where(access_log.c.at < until)
    if before_id is not None:
        query = query.where(access_log.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query)]
