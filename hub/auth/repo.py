"""The one owner of the sign-in tables: ``operators``, ``operator_sessions``, ``api_keys``, ``access_log`` and
``sign_in_throttle``."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.org.repo import unit_subtree
from hub.store.batch import dialect_insert
from hub.store.tables import UtcDateTime, access_log, api_keys, operator_sessions, operators, sign_in_throttle

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


def operator_ids_scoped_under(unit_code: str) -> sa.Select[str]:
    """``SELECT id`` of the operators whose scope unit is ``unit_code`` or below it in the hierarchy (by
    ``parent_code``, not by code prefix: a city's code is no prefix of its districts')."""
    return sa.select(operators.c.id).where(operators.c.scope_code.in_(unit_subtree(unit_code)))


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


def access_rows(conn: sa.Connection, *, scope_unit: str | None = None, operator_id: str | None = None,
                route: str | None = None, resource_id: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 100, before_id: int | None = None) -> list[Row]:
    """Newest first. ``scope_unit``: a unit code; only rows of operators scoped in its subtree (None = all rows,
    anonymous and API-key ones included). ``resource_id``: rows that name that id anywhere."""
    query = sa.select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    if scope_unit is not None:
        query = query.where(access_log.c.operator_id.in_(operator_ids_scoped_under(scope_unit)))
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


# -- sign-in throttle (per account and client address; client '*' = the account across every address) ------------
def _lock_until(steps: Sequence[datetime]) -> sa.ColumnElement[Any]:
    """``steps[lockouts]`` (the last one once lockouts runs past the list): how long the next lock lasts."""
    bind = [sa.bindparam(None, step, type_=UtcDateTime()) for step in steps]
    if len(bind) == 1:
        return bind[0]
    return sa.case(*[(sign_in_throttle.c.lockouts == i, b) for i, b in enumerate(bind[:-1])], else_=bind[-1])


def _counted(max_failures: int, steps: Sequence[datetime], now: datetime) -> dict[str, Any]:
    """SET clauses of one more wrong password: the one that reaches ``max_failures`` locks the row at once
    (``locked_until`` from ``steps``, ``lockouts`` + 1) and starts the count again."""
    t = sign_in_throttle.c
    hit = t.failures + 1 >= max_failures
    return {"failures": sa.case((hit, 0), else_=t.failures + 1),
            "lockouts": sa.case((hit, t.lockouts + 1), else_=t.lockouts),
            "locked_until": sa.case((hit, _lock_until(steps)), else_=t.locked_until),
            "updated_at": now}


def add_throttle_rows(conn: sa.Connection, operator_id: str, clients: Sequence[str], now: datetime) -> set[str]:
    """Make the rows of ``clients`` for the account if missing (a concurrent twin is no error); returns the
    clients whose row this call made."""
    made = set()
    for client in clients:
        stmt = dialect_insert(conn, sign_in_throttle).on_conflict_do_nothing(
            index_elements=[sign_in_throttle.c.operator_id, sign_in_throttle.c.client]).returning(
            sign_in_throttle.c.client)  # a row back only when this call made it (rowcount is not reliable here)
        if conn.execute(stmt, {"operator_id": operator_id, "client": client, "failures": 0, "lockouts": 0,
                               "locked_until": None, "updated_at": now}).first() is not None:
            made.add(client)
    return made


def throttle_row(conn: sa.Connection, operator_id: str, client: str) -> Row | None:
    row = conn.execute(sa.select(sign_in_throttle).where(sign_in_throttle.c.operator_id == operator_id,
                                                         sign_in_throttle.c.client == client)).first()
    return dict(row._mapping) if row else None


def throttle_rows(conn: sa.Connection, operator_id: str) -> list[Row]:
    return [dict(r._mapping) for r in conn.execute(
        sa.select(sign_in_throttle).where(sign_in_throttle.c.operator_id == operator_id)
        .order_by(sign_in_throttle.c.client))]


def reserve_attempt(conn: sa.Connection, operator_id: str, client: str, *, max_failures: int,
                    steps: Sequence[datetime], now: datetime) -> Row | None:
    """Count one attempt for (account, client) BEFORE its password is checked, in one conditional UPDATE: refused
    (None) while the pair is locked. The attempt that fills the pair's ``max_failures`` locks it at once (see
    ``_counted``), so however many guesses arrive together, at most ``max_failures`` get a password check per
    lock. A success undoes the count (``clear_throttle``). Returns the row as it is after the update."""
    t = sign_in_throttle.c
    stmt = (sa.update(sign_in_throttle)
            .where(t.operator_id == operator_id, t.client == client,
                   sa.or_(t.locked_until.is_(None), t.locked_until <= now))
            .values(**_counted(max_failures, steps, now)).returning(*sign_in_throttle.c))
    row = conn.execute(stmt).first()
    return dict(row._mapping) if row else None


def count_failure(conn: sa.Connection, operator_id: str, client: str, *, max_failures: int,
                  steps: Sequence[datetime], now: datetime) -> Row | None:
    """One more wrong password on a row that is not locked (the account-wide '*' row); None while locked."""
    t = sign_in_throttle.c
    stmt = (sa.update(sign_in_throttle)
            .where(t.operator_id == operator_id, t.client == client,
                   sa.or_(t.locked_until.is_(None), t.locked_until <= now))
            .values(**_counted(max_failures, steps, now)).returning(*sign_in_throttle.c))
    row = conn.execute(stmt).first()
    return dict(row._mapping) if row else None


def clear_throttle(conn: sa.Connection, operator_id: str, clients: Sequence[str], now: datetime, *,
                   keep_lock: bool = False) -> None:
    """A success: the rows' counts start again (and their locks end, unless ``keep_lock``)."""
    values: dict[str, Any] = {"failures": 0, "lockouts": 0, "updated_at": now}
    if not keep_lock:
        values["locked_until"] = None
    conn.execute(sa.update(sign_in_throttle).where(sign_in_throttle.c.operator_id == operator_id,
                                                   sign_in_throttle.c.client.in_(list(clients))).values(**values))


def delete_throttle(conn: sa.Connection, operator_id: str, client: str | None = None) -> list[Row]:
    """Forget the account's throttle rows (all, or one client's): an admin's unlock, a new password. Returns
    the rows as they were."""
    where = [sign_in_throttle.c.operator_id == operator_id]
    if client is not None:
        where.append(sign_in_throttle.c.client == client)
    return [dict(r._mapping) for r in conn.execute(sa.delete(sign_in_throttle).where(*where)
                                                   .returning(*sign_in_throttle.c))]
