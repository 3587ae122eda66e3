"""The ``dead_letters`` table's one owner: messages the hub could not accept, kept with a reason for operators."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from hub.store.items import DeadLetter
from hub.store.rows import DeadLetterRow
from hub.store.tables import dead_letters


def _text(value: str | None, limit: int) -> str | None:
    # PostgreSQL text cannot hold NUL; a dead letter must be storable whatever the sender put in it.
    return None if value is None else value.replace("\x00", "\\x00")[:limit]


def row_of(d: DeadLetter, cap: int) -> dict[str, Any]:
    return {"received_at": d.received_at, "topic": _text(d.topic, 1024), "payload": bytes(d.payload[:cap]),
            "payload_size": len(d.payload), "reason": _text(d.reason, 64), "detail": _text(d.detail, 2000),
            "device_id": _text(d.device_id, 64)}


def insert(conn: sa.Connection, letters: Iterable[DeadLetter], cap: int) -> int:
    rows = [row_of(d, cap) for d in letters]
    if rows:
        conn.execute(sa.insert(dead_letters), rows)
    return len(rows)


def _filtered(query: sa.Select[Any], reason: str | None, device_id: str | None,
              devices_in: sa.Select[str] | None) -> sa.Select[Any]:
    if reason:
        query = query.where(dead_letters.c.reason == reason)
    if device_id:
        query = query.where(dead_letters.c.device_id == device_id)
    if devices_in is not None:
        query = query.where(dead_letters.c.device_id.in_(devices_in))
    return query


def newest(conn: sa.Connection, *, reason: str | None = None, device_id: str | None = None, limit: int = 100,
           before_id: int | None = None, devices_in: sa.Select[str] | None = None) -> list[DeadLetterRow]:
    """Newest first; page with ``before_id`` = the last id seen; ``devices_in`` = an operator's devices."""
    query = _filtered(sa.select(dead_letters), reason, device_id, devices_in)
    if before_id is not None:
        query = query.where(dead_letters.c.id < before_id)
    return [DeadLetterRow(**r._mapping) for r in conn.execute(query.order_by(dead_letters.c.id.desc()).limit(limit))]


def count(conn: sa.Connection, *, reason: str | None = None, device_id: str | None = None) -> int:
    query = _filtered(sa.select(sa.func.count()).select_from(dead_letters), reason, device_id, None)
    return int(conn.execute(query).scalar_one())


def after(conn: sa.Connection, watermark: int, reasons: Iterable[str], limit: int) -> list[DeadLetterRow]:
    """Dead letters with one of ``reasons`` and an id above ``watermark``, oldest first (the spoofing watch)."""
    query = (sa.select(dead_letters).where(dead_letters.c.reason.in_(list(reasons)), dead_letters.c.id > watermark)
             .order_by(dead_letters.c.id).limit(limit))
    return [DeadLetterRow(**r._mapping) for r in conn.execute(query)]


def count_by_reason(conn: sa.Connection) -> dict[str, int]:
    """Dead letters kept per rejection reason (the metrics' gauge)."""
    query = sa.select(dead_letters.c.reason, sa.func.count()).group_by(dead_letters.c.reason)
    return {reason: n for reason, n in conn.execute(query)}


def one(conn: sa.Connection, letter_id: int) -> DeadLetterRow | None:
    row = conn.execute(sa.select(dead_letters).where(dead_letters.c.id == letter_id)).first()
    return DeadLetterRow(**row._mapping) if row else None


def last_id(conn: sa.Connection) -> int:
    """The newest dead letter's id (0: none yet)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(dead_letters.c.id), 0))).scalar_one())


def newest_on_topic_after(conn: sa.Connection, topic: str, after_id: int) -> DeadLetterRow | None:
    """The newest dead letter on ``topic`` with an id above ``after_id`` (what a replay made, if refused again)."""
    row = conn.execute(sa.select(dead_letters).where(dead_letters.c.topic == topic, dead_letters.c.id > after_id)
                       .order_by(dead_letters.c.id.desc()).limit(1)).first()
    return DeadLetterRow(**row._mapping) if row else None
