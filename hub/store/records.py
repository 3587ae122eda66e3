"""Reads of the ``records`` table (written only by the ingest batch writer, ``batch.py``), and the views other
domains compose into their own queries: they get predicates and sub-selects, never the table.

Cross-domain conditions come in as callables from their owner (e.g. the cases repository's "this report was
taken in"), so the store never imports the domains built on it.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.store.rows import RecordRow, SeqGroup
from hub.store.tables import records

# A predicate over a record id column, supplied by the domain that knows (e.g. "a case event took it in").
RecordPredicate = Callable[[sa.ColumnElement[str]], sa.ColumnElement[bool]]


class CursorError(ValueError):
    pass


def encode_cursor(received_at: datetime, record_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([received_at.isoformat(), record_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not isinstance(rid, str):
            raise ValueError
        return parsed, rid
    except (ValueError, TypeError, UnicodeError):
        raise CursorError("invalid cursor") from None


def get(conn: sa.Connection, record_id: str) -> RecordRow | None:
    row = conn.execute(sa.select(records).where(records.c.id == record_id)).first()
    return RecordRow(**row._mapping) if row else None


def get_of_kind(conn: sa.Connection, record_id: str, kind: str) -> RecordRow | None:
    row = conn.execute(sa.select(records).where(records.c.id == record_id, records.c.kind == kind)).first()
    return RecordRow(**row._mapping) if row else None


def page(conn: sa.Connection, *, kind: str | None = None, device_id: str | None = None,
         since: datetime | None = None, until: datetime | None = None, limit: int = 100, cursor: str | None = None,
         devices_in: sa.Select[str] | None = None) -> tuple[list[RecordRow], str | None]:
    """Records by hub receive time (oldest first), ``since`` inclusive, ``until`` exclusive; keyset-paged.
    ``devices_in``: only records of these devices (an operator's scope).

    No id bound for positions: a receive-time window says nothing about when a record was made (terminals
    keep weeks of offline backlog, thinned; device clocks can be days off), so on partitioned PostgreSQL a
    ``kind=position`` window is planned over every day partition (docs/scaling.md §4). The live views bound
    by age instead (``hub/store/positions.py``, ``LIVE_MAX_AGE``)."""
    query = sa.select(records)
    if devices_in is not None:
        query = query.where(records.c.device_id.in_(devices_in))
    if kind:
        query = query.where(records.c.kind == kind)
    if device_id:
        query = query.where(records.c.device_id == device_id)
    if since:
        query = query.where(records.c.received_at >= since)
    if until:
        query = query.where(records.c.received_at < until)
    if cursor:
        at, rid = decode_cursor(cursor)
        query = query.where(sa.or_(records.c.received_at > at,
                                   sa.and_(records.c.received_at == at, records.c.id > rid)))
    query = query.order_by(records.c.received_at, records.c.id).limit(limit + 1)
    rows = [RecordRow(**r._mapping) for r in conn.execute(query)]
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].received_at, rows[-1].id)
    return rows, None


def count(conn: sa.Connection, *, device_id: str | None = None, kind: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(records)
    if device_id:
        query = query.where(records.c.device_id == device_id)
    if kind:
        query = query.where(records.c.kind == kind)
    return int(conn.execute(query).scalar_one())


def seqs(conn: sa.Connection, device_id: str) -> list[int]:
    """A device's stored sequence numbers, ascending: gaps are lost records, repeats are duplicates."""
    query = sa.select(records.c.seq).where(records.c.device_id == device_id).order_by(records.c.seq)
    return list(conn.execute(query).scalars())


def duplicate_seqs(conn: sa.Connection, device_id: str | None = None) -> list[SeqGroup]:
    """(device, seq) pairs stored more than once under different ids. Should always be empty."""
    query = (sa.select(records.c.device_id, records.c.seq, sa.func.count().label("n"))
             .group_by(records.c.device_id, records.c.seq).having(sa.func.count() > 1))
    if device_id:
        query = query.where(records.c.device_id == device_id)
    return [SeqGroup(d, s, n) for d, s, n in conn.execute(query)]


def last_seq(conn: sa.Connection, device_id: str) -> int:
    return int(conn.execute(sa.select(sa.func.max(records.c.seq)).where(records.c.device_id == device_id)).scalar()
               or 0)


def untaken(conn: sa.Connection, kind: str, taken: RecordPredicate, *, since: datetime | None, limit: int,
            by_device_time: bool = False) -> list[RecordRow]:
    """Records of ``kind`` for which ``taken`` does not hold, oldest first (receive time, or device time: a
    phone's offline queue is replayed in the order the worker acted), received at ``since`` or later."""
    query = sa.select(records).where(records.c.kind == kind, ~taken(records.c.id))
    if since is not None:
        query = query.where(records.c.received_at >= since)
    order = (records.c.device_time, records.c.id) if by_device_time else (records.c.received_at, records.c.id)
    return [RecordRow(**r._mapping) for r in conn.execute(query.order_by(*order).limit(limit))]


def ids_of_kind(kind: str) -> sa.Select[str]:
    """``SELECT id`` of every record of one kind (e.g. cases that came from a report)."""
    return sa.select(records.c.id).where(records.c.kind == kind)


def ids_of_device(device_id: str, kind: str) -> sa.Select[str]:
    """``SELECT id`` of one device's records of one kind (e.g. the reports a case list's "reporter device" filter
    follows). By device and kind: the device index, and on PostgreSQL only the partition of that kind."""
    return sa.select(records.c.id).where(records.c.device_id == device_id, records.c.kind == kind)


def newest_seq_per_device(record_ids: sa.Select[str], kind: str) -> sa.Select[str, int]:
    """(device id, its highest seq) among the records of ``kind`` with these ids. Looked up by id and kind, so
    PostgreSQL reads only the partition of that kind (``records_other``), never the position days."""
    return (sa.select(records.c.device_id, sa.func.max(records.c.seq))
            .where(records.c.kind == kind, records.c.id.in_(record_ids)).group_by(records.c.device_id))


def payload_view() -> sa.Subquery:
    """(id, payload) of every record, for a caller outer-joining the record a row came from."""
    return sa.select(records.c.id, records.c.payload).subquery("record_payloads")


def checkins_made_between(conn: sa.Connection, start: datetime, end: datetime, *, slack: timedelta,
                          containing: str = "") -> list[RecordRow]:
    """Check-in records made (device time) in [start, end), received from ``start - slack`` on (the indexed
    receive time bounds the scan; a record cannot be received before it is made, give or take a fast clock),
    whose payload contains ``containing`` (a cheap pre-filter; callers parse the payload)."""
    query = sa.select(records).where(records.c.kind == "checkin", records.c.received_at >= start - slack,
                                     records.c.device_time >= start, records.c.device_time < end)
    if containing:
        query = query.where(records.c.payload.contains(containing))
    return [RecordRow(**r._mapping) for r in conn.execute(query)]
