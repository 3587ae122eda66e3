"""The one owner of the deliberation tables (议事): ``deliberation_topics``, ``topic_comments``, ``votes`` and
``kept_votes``. Comment and vote records themselves stay in ``records`` (read through ``hub.store.records``); the
kiosks a topic reaches are read through the org repository.

The kept vote of a card is written by one conditional upsert on the ``kept_votes`` primary key (topic, card): it
replaces the kept vote only with an earlier one (or a later one when changes are allowed), so whatever order the
votes arrive in and however many hub workers take them, the row ends as the min (max) by (device time, record id)
and the tally (a count of ``kept_votes``) counts each card once. On PostgreSQL the upsert locks the row until commit,
so the workers that meet on one card settle its answers one after the other.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.store import records as record_rows
from hub.store.batch import dialect_insert
from hub.store.rows import RecordRow
from hub.store.tables import deliberation_topics, kept_votes, topic_comments, votes

COUNTED_STATUSES = ("new", "kept", "already_voted", "displaced", "superseded")  # votes competing to be kept


@dataclass(frozen=True)
class CardVote:
    record_id: str
    device_id: str
    device_time: datetime
    status: str
    answered: str | None


# -- topics ------------------------------------------------------------------------------------------------------
def insert_topic(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(deliberation_topics), row)


def update_topic(conn: sa.Connection, topic_id: str, values: dict[str, Any]) -> None:
    """Change a topic and bump its version (the kiosks keep the highest)."""
    conn.execute(sa.update(deliberation_topics).where(deliberation_topics.c.id == topic_id)
                 .values(version=deliberation_topics.c.version + 1, **values))


def topic(conn: sa.Connection, topic_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(deliberation_topics).where(deliberation_topics.c.id == topic_id)).first()
    return dict(row._mapping) if row else None


def topics_under(conn: sa.Connection, scope_code: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """Topics whose target unit is in ``scope_code``'s subtree (None: all), newest first."""
    query = sa.select(deliberation_topics).order_by(deliberation_topics.c.created_at.desc()).limit(limit)
    if scope_code is not None:
        query = query.where(deliberation_topics.c.unit_code.in_(org_repo.unit_subtree(scope_code)))
    return [dict(r._mapping) for r in conn.execute(query)]


def kiosks_under(conn: sa.Connection, unit_code: str) -> list[str]:
    """The kiosks bound to ``unit_code`` or a unit below it: where a topic goes."""
    return sorted(b.device_id for b in org_repo.bindings_within(conn, unit_code) if b.kind == "kiosk")


def kiosk_units(conn: sa.Connection, device_ids: Iterable[str]) -> dict[str, str]:
    wanted = set(device_ids)
    return {d: u for d, u in org_repo.device_units(conn).items() if d in wanted}


def unit_names(conn: sa.Connection, codes: Iterable[str]) -> dict[str, str]:
    tree = org_repo.unit_tree(conn)
    return {code: tree[code][0] for code in codes if code in tree}


def in_subtree(conn: sa.Connection, code: str, scope_code: str) -> bool:
    return code in org_repo.subtree_codes(conn, scope_code)


def kiosk_shows_image(conn: sa.Connection, device_id: str, sha256: str) -> bool:
    """The device is a kiosk a topic citing the photo among its ``images`` is delivered to (bound in the topic's
    unit subtree, as :func:`kiosks_under` decides) and the topic is not withdrawn: the device photo route's second
    rule, beside the open tasks' (``hub.cases.task_photos_repo``)."""
    query = (sa.select(deliberation_topics.c.unit_code, deliberation_topics.c.images)
             .where(deliberation_topics.c.state != "withdrawn",
                    sa.cast(deliberation_topics.c.images, sa.Text).contains(sha256)))
    units = {unit for unit, images in conn.execute(query) if sha256 in (images or [])}
    return any(device_id in kiosks_under(conn, unit) for unit in sorted(units))


# -- records not yet taken -----------------------------------------------------------------------------------------
def untaken_votes(conn: sa.Connection, limit: int) -> list[RecordRow]:
    taken = sa.select(votes.c.record_id)
    return record_rows.untaken(conn, "vote", lambda rid: rid.in_(taken), since=None, limit=limit)


def untaken_comments(conn: sa.Connection, limit: int) -> list[RecordRow]:
    taken = sa.select(topic_comments.c.record_id)
    return record_rows.untaken(conn, "comment", lambda rid: rid.in_(taken), since=None, limit=limit)


# -- comments ------------------------------------------------------------------------------------------------------
def insert_comments(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(dialect_insert(conn, topic_comments).on_conflict_do_nothing(), list(rows))


def comments(conn: sa.Connection, *, topic_id: str | None = None, state: str | None = None,
             topic_ids: Sequence[str] | None = None, limit: int = 500) -> list[dict[str, Any]]:
    query = sa.select(topic_comments).order_by(topic_comments.c.made_at.desc(), topic_comments.c.record_id)
    if topic_id is not None:
        query = query.where(topic_comments.c.topic_id == topic_id)
    if topic_ids is not None:
        query = query.where(topic_comments.c.topic_id.in_(list(topic_ids)))
    if state is not None:
        query = query.where(topic_comments.c.state == state)
    return [dict(r._mapping) for r in conn.execute(query.limit(limit))]


def comment(conn: sa.Connection, record_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(topic_comments).where(topic_comments.c.record_id == record_id)).first()
    return dict(row._mapping) if row else None


def moderate_comment(conn: sa.Connection, record_id: str, state: str, by: str, at: datetime) -> bool:
    """pending → approved | rejected; False when it was moderated already."""
    result = conn.execute(sa.update(topic_comments).where(topic_comments.c.record_id == record_id,
                                                          topic_comments.c.state == "pending")
                          .values(state=state, moderated_by=by, moderated_at=at))
    return bool(result.rowcount)


# -- votes ---------------------------------------------------------------------------------------------------------
def insert_vote(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Store one processed vote; False when another pass (or hub worker) has taken this record already."""
    stmt = dialect_insert(conn, votes).on_conflict_do_nothing().returning(votes.c.record_id)
    return conn.execute(stmt, row).first() is not None


def offer_kept(conn: sa.Connection, row: dict[str, Any], *, latest_wins: bool) -> None:
    """Make ``row`` the card's kept vote if there is none, or if it comes first (last, ``latest_wins``) by (device
    time, record id). One statement: atomic, and on PostgreSQL it holds the row's lock until commit."""
    stmt = dialect_insert(conn, kept_votes)
    new, old = stmt.excluded, kept_votes.c
    if latest_wins:
        better = sa.or_(new.device_time > old.device_time,
                        sa.and_(new.device_time == old.device_time, new.record_id > old.record_id))
    else:
        better = sa.or_(new.device_time < old.device_time,
                        sa.and_(new.device_time == old.device_time, new.record_id < old.record_id))
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[old.topic_id, old.resident_key],
        set_={"record_id": new.record_id, "option": new.option, "device_id": new.device_id,
              "device_time": new.device_time}, where=better), row)


def kept_record(conn: sa.Connection, topic_id: str, resident_key: str) -> str | None:
    found: str | None = conn.execute(sa.select(kept_votes.c.record_id).where(
        kept_votes.c.topic_id == topic_id, kept_votes.c.resident_key == resident_key)).scalar()
    return found


def card_votes(conn: sa.Connection, topic_id: str, resident_key: str) -> list[CardVote]:
    query = (sa.select(votes.c.record_id, votes.c.device_id, votes.c.device_time, votes.c.status, votes.c.answered)
             .where(votes.c.topic_id == topic_id, votes.c.resident_key == resident_key,
                    votes.c.status.in_(COUNTED_STATUSES))
             .order_by(votes.c.device_time, votes.c.record_id))
    return [CardVote(*r) for r in conn.execute(query)]


def set_vote_status(conn: sa.Connection, record_id: str, status: str, answered: str | None) -> None:
    conn.execute(sa.update(votes).where(votes.c.record_id == record_id).values(status=status, answered=answered))


def tally(conn: sa.Connection, topic_id: str) -> dict[str, int]:
    """option → cards counted for it (one kept vote per card)."""
    query = (sa.select(kept_votes.c.option, sa.func.count()).where(kept_votes.c.topic_id == topic_id)
             .group_by(kept_votes.c.option))
    return {option: int(n) for option, n in conn.execute(query)}


def voters_by_device(conn: sa.Connection, topic_id: str) -> dict[str, int]:
    """kiosk → cards whose kept vote was made there."""
    query = (sa.select(kept_votes.c.device_id, sa.func.count()).where(kept_votes.c.topic_id == topic_id)
             .group_by(kept_votes.c.device_id))
    return {device: int(n) for device, n in conn.execute(query)}


def vote_statuses(conn: sa.Connection, topic_id: str) -> dict[str, int]:
    """status → vote records (the audit's summary: how many were displaced, refused, changed)."""
    query = (sa.select(votes.c.status, sa.func.count()).where(votes.c.topic_id == topic_id)
             .group_by(votes.c.status))
    return {status: int(n) for status, n in conn.execute(query)}
