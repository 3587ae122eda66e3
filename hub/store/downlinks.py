"""The ``downlinks`` table's one owner: messages queued for devices, sent, confirmed, expired.

Callers that queue inside a transaction of their own (the dispatcher writes a task's downlink with its
delivery record) pass their connection; ``HubStore`` wraps the rest.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.store.rows import DownlinkRow
from hub.store.tables import devices, downlinks
from protocol import uuid7

UNCONFIRMED = ("queued", "sent")
SQL_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def body_json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def new_row(device_id: str, kind: str, body: dict[str, Any], now: datetime,
            expires_at: datetime | None = None) -> dict[str, Any]:
    return {"id": uuid7(int(now.timestamp() * 1000)), "device_id": device_id, "kind": kind,
            "body": body_json(body), "created_at": now, "expires_at": expires_at, "state": "queued",
            "send_count": 0, "last_sent_at": None, "delivered_at": None, "read_at": None}


def queue(conn: sa.Connection, device_id: str, kind: str, body: dict[str, Any], now: datetime,
          expires_at: datetime | None = None) -> DownlinkRow:
    """Queue one message inside the caller's transaction; it is sent after the commit."""
    row = new_row(device_id, kind, body, now, expires_at)
    conn.execute(sa.insert(downlinks), row)
    return DownlinkRow(**row)


def queue_many(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> list[DownlinkRow]:
    """Queue rows made by ``new_row`` in one statement (a notice to every kiosk of a district) inside the caller's
    transaction."""
    if rows:
        conn.execute(sa.insert(downlinks), list(rows))
    return [DownlinkRow(**row) for row in rows]


def get(conn: sa.Connection, message_id: str) -> DownlinkRow | None:
    row = conn.execute(sa.select(downlinks).where(downlinks.c.id == message_id)).first()
    return DownlinkRow(**row._mapping) if row else None


def for_device(conn: sa.Connection, device_id: str, limit: int = 100) -> list[DownlinkRow]:
    query = (sa.select(downlinks).where(downlinks.c.device_id == device_id)
             .order_by(downlinks.c.created_at.desc(), downlinks.c.id.desc()).limit(limit))
    return [DownlinkRow(**r._mapping) for r in conn.execute(query)]


def of_kind(conn: sa.Connection, kind: str) -> list[tuple[str, str]]:
    """(device id, body) of every message of ``kind``, oldest first."""
    query = (sa.select(downlinks.c.device_id, downlinks.c.body).where(downlinks.c.kind == kind)
             .order_by(downlinks.c.created_at))
    return [(d, b) for d, b in conn.execute(query)]


def _live(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(downlinks.c.state.in_(UNCONFIRMED),
                   sa.or_(downlinks.c.expires_at.is_(None), downlinks.c.expires_at > now))


def pending(conn: sa.Connection, device_id: str, now: datetime,
            sent_before: datetime | None = None) -> list[DownlinkRow]:
    """Unconfirmed, unexpired messages for one device, oldest first (what to re-send on reconnect). With
    ``sent_before``, leave out those last sent at or after it: they went out after the device reconnected."""
    query = (sa.select(downlinks).where(downlinks.c.device_id == device_id, _live(now))
             .order_by(downlinks.c.created_at, downlinks.c.id))
    if sent_before is not None:
        query = query.where(sa.or_(downlinks.c.last_sent_at.is_(None), downlinks.c.last_sent_at < sent_before))
    return [DownlinkRow(**r._mapping) for r in conn.execute(query)]


def due(conn: sa.Connection, now: datetime, resend_after_s: float, limit: int = 1000) -> list[DownlinkRow]:
    """Never-sent messages (any device: the broker queues for offline sessions) and unconfirmed ones last sent
    more than ``resend_after_s`` ago to devices that are online."""
    never_sent = downlinks.c.last_sent_at.is_(None)
    stale = sa.and_(downlinks.c.last_sent_at < now - timedelta(seconds=resend_after_s),
                    downlinks.c.device_id.in_(sa.select(devices.c.id).where(devices.c.state == "online")))
    query = (sa.select(downlinks).where(_live(now), sa.or_(never_sent, stale))
             .order_by(downlinks.c.created_at, downlinks.c.id).limit(limit))
    return [DownlinkRow(**r._mapping) for r in conn.execute(query)]


def claim(conn: sa.Connection, rows: Sequence[DownlinkRow], now: datetime) -> list[DownlinkRow]:
    """Mark ``rows`` sent at ``now``, each only if it is still live (unconfirmed, unexpired) and nobody sent it since
    it was read; returns those claimed, in the given order. Two senders that read the same row (an operator's send
    and the maintenance sweep, two hub workers) publish it once, and a message that expired after it was read is
    not published at all."""
    by_last_sent: dict[datetime | None, list[str]] = {}
    for row in rows:
        by_last_sent.setdefault(row.last_sent_at, []).append(row.id)
    claimed: set[str] = set()
    for last_sent_at, ids in by_last_sent.items():
        unchanged = (downlinks.c.last_sent_at.is_(None) if last_sent_at is None
                     else downlinks.c.last_sent_at == last_sent_at)
        for i in range(0, len(ids), SQL_IN_CHUNK):
            claimed.update(conn.execute(
                sa.update(downlinks).where(downlinks.c.id.in_(ids[i:i + SQL_IN_CHUNK]), unchanged, _live(now))
                .values(state=sa.case((downlinks.c.state == "queued", "sent"), else_=downlinks.c.state),
                        send_count=downlinks.c.send_count + 1, last_sent_at=now)
                .returning(downlinks.c.id)).scalars())
    return [row for row in rows if row.id in claimed]


def release(conn: sa.Connection, rows: Sequence[DownlinkRow], claimed_at: datetime) -> None:
    """Undo the claim on ``rows`` (as read before it) whose publish failed: each is due again as it was."""
    for row in rows:
        conn.execute(
            sa.update(downlinks).where(downlinks.c.id == row.id, downlinks.c.last_sent_at == claimed_at)
            .values(state=sa.case((downlinks.c.state == "sent", row.state), else_=downlinks.c.state),
                    send_count=downlinks.c.send_count - 1, last_sent_at=row.last_sent_at))


def expire(conn: sa.Connection, now: datetime) -> int:
    result = conn.execute(sa.update(downlinks).where(
        downlinks.c.state.in_(UNCONFIRMED), downlinks.c.expires_at.is_not(None),
        downlinks.c.expires_at <= now).values(state="expired"))
    return result.rowcount or 0


def owners(conn: sa.Connection, message_ids: Sequence[str]) -> dict[str, str]:
    """message id → the device it was queued for (ids not found are left out)."""
    found: dict[str, str] = {}
    ids = list(message_ids)
    for i in range(0, len(ids), SQL_IN_CHUNK):
        query = sa.select(downlinks.c.id, downlinks.c.device_id).where(downlinks.c.id.in_(ids[i:i + SQL_IN_CHUNK]))
        found.update((mid, dev) for mid, dev in conn.execute(query))
    return found


def confirm(conn: sa.Connection, delivered: list[dict[str, Any]], read: list[dict[str, Any]]) -> None:
    """Apply device confirmations: each item is {"mid": message id, "at": when the hub received it}."""
    at = sa.bindparam("at", type_=downlinks.c.delivered_at.type)
    where = downlinks.c.id == sa.bindparam("mid")
    if delivered:
        conn.execute(sa.update(downlinks).where(where).values(
            # "read" is further along than "delivered": a late delivered-confirm never moves it back.
            state=sa.case((downlinks.c.state == "read", "read"), else_="delivered"),
            delivered_at=sa.func.coalesce(downlinks.c.delivered_at, at)), delivered)
    if read:
        conn.execute(sa.update(downlinks).where(where).values(
            state="read", delivered_at=sa.func.coalesce(downlinks.c.delivered_at, at),
            read_at=sa.func.coalesce(downlinks.c.read_at, at)), read)


def receipt_view() -> sa.Subquery:
    """(id, last_sent_at, delivered_at, read_at) of every downlink, for other domains to join on a message id
    (the dispatcher copies them onto task deliveries)."""
    return sa.select(downlinks.c.id, downlinks.c.last_sent_at, downlinks.c.delivered_at,
                     downlinks.c.read_at).subquery("downlink_receipts")


def count_pending(conn: sa.Connection, now: datetime) -> dict[str, int]:
    """Unconfirmed, unexpired downlinks per kind: what devices have not confirmed yet (the metrics' gauge)."""
    query = sa.select(downlinks.c.kind, sa.func.count()).where(_live(now)).group_by(downlinks.c.kind)
    return {kind: n for kind, n in conn.execute(query)}
