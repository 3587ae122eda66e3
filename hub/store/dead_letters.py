"""The ``dead_letters`` table's one owner: messages the hub could not accept, kept with a reason for operators."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from hub.store.items import DeadLetter
from hub.store.rows import DeadLetterRow
from hub.store.tables import dead_letter_replays, dead_letters


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


def _unreplayed(reason: str | None, device_id: str | None, devices_in: sa.Select[str] | None,
                up_to_id: int | None) -> list[sa.ColumnElement[bool]]:
    """Letters matching the filter that were never replayed and that a replay can take (the whole payload kept, a
    message off the wire: hub/mqtt/replay.py ``replayable``). A letter replayed and refused again is represented by
    the new letter that replay made, so replaying "all matching" twice does not repeat work."""
    where = [~sa.exists().where(dead_letter_replays.c.dead_letter_id == dead_letters.c.id),
             dead_letters.c.payload_size <= sa.func.length(dead_letters.c.payload),
             dead_letters.c.topic.like("gridline/%")]
    if reason:
        where.append(dead_letters.c.reason == reason)
    if device_id:
        where.append(dead_letters.c.device_id == device_id)
    if devices_in is not None:
        where.append(dead_letters.c.device_id.in_(devices_in))
    if up_to_id is not None:
        where.append(dead_letters.c.id <= up_to_id)
    return where


def unreplayed_ids(conn: sa.Connection, *, reason: str | None = None, device_id: str | None = None,
                   devices_in: sa.Select[str] | None = None, up_to_id: int | None = None,
                   limit: int | None = None) -> list[int]:
    """Oldest first (the order the devices sent them): see ``_unreplayed``."""
    query = (sa.select(dead_letters.c.id).where(*_unreplayed(reason, device_id, devices_in, up_to_id))
             .order_by(dead_letters.c.id).limit(limit))
    return [int(i) for i in conn.execute(query).scalars()]


def count_unreplayed(conn: sa.Connection, *, reason: str | None = None, device_id: str | None = None,
                     devices_in: sa.Select[str] | None = None) -> tuple[int, int | None]:
    """(how many, the newest one's id) of ``_unreplayed``: what "replay all matching" would take now."""
    query = (sa.select(sa.func.count(), sa.func.max(dead_letters.c.id))
             .where(*_unreplayed(reason, device_id, devices_in, None)))
    n, newest_id = conn.execute(query).one()
    return int(n), None if newest_id is None else int(newest_id)


def some(conn: sa.Connection, letter_ids: Iterable[int]) -> dict[int, DeadLetterRow]:
    """The letters of these ids that exist, by id."""
    ids = sorted(set(letter_ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(dead_letters).where(dead_letters.c.id.in_(ids)))
    return {r.id: DeadLetterRow(**r._mapping) for r in rows}
