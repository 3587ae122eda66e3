"""The one owner of ``notices``, ``notice_versions`` and ``notice_deliveries`` (居务公开).

Kiosks and units are read through the org repository; a delivery's delivered/shown times are the downlink's own
confirmations (``hub.store.downlinks.receipt_view``), joined here rather than copied.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.store import downlinks as downlink_rows
from hub.store.tables import notice_deliveries, notice_versions, notices

ListState = Literal["live", "history", "all"]


@dataclass(frozen=True)
class NoticeRow:
    id: str
    version: int
    category: str
    title: str
    pinned: bool
    target_code: str
    publish_at: datetime
    expires_at: datetime | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None

    def state(self, now: datetime) -> str:
        """withdrawn | expired | scheduled | published."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "scheduled" if self.publish_at > now else "published"


@dataclass(frozen=True)
class VersionRow:
    notice_id: str
    version: int
    category: str
    title: str
    text: str
    pinned: bool
    target_code: str
    publish_at: datetime
    expires_at: datetime | None
    images: list[dict[str, str]]
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class DeliveryRow:
    device_id: str
    version: int
    action: str
    downlink_id: str
    queued_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None


@dataclass(frozen=True)
class Counts:
    kiosks: int = 0
    delivered: int = 0
    shown: int = 0


def _notice(row: Any) -> NoticeRow:
    return NoticeRow(**{k: row._mapping[k] for k in NoticeRow.__dataclass_fields__})


def _version(row: Any) -> VersionRow:
    values = {k: row._mapping[k] for k in VersionRow.__dataclass_fields__}
    values["images"] = json.loads(values["images"] or "[]")
    return VersionRow(**values)


# -- writes ----------------------------------------------------------------------------------------------------
def insert_notice(conn: sa.Connection, notice: NoticeRow) -> None:
    conn.execute(sa.insert(notices), vars(notice))


def update_notice(conn: sa.Connection, notice_id: str, values: dict[str, Any]) -> None:
    conn.execute(sa.update(notices).where(notices.c.id == notice_id).values(**values))


def insert_version(conn: sa.Connection, version: VersionRow) -> None:
    values = vars(version).copy()
    values["images"] = json.dumps(version.images, separators=(",", ":"))
    conn.execute(sa.insert(notice_versions), values)


def insert_deliveries(conn: sa.Connection, notice_id: str, version: int, action: str,
                      queued: Sequence[tuple[str, str]], now: datetime) -> None:
    """One row per (device, downlink id) queued for this version and action, in one statement."""
    if queued:
        conn.execute(sa.insert(notice_deliveries), [
            {"notice_id": notice_id, "version": version, "device_id": device, "action": action,
             "downlink_id": downlink_id, "queued_at": now} for device, downlink_id in queued])


# -- reads -----------------------------------------------------------------------------------------------------
def notice(conn: sa.Connection, notice_id: str, *, for_update: bool = False) -> NoticeRow | None:
    query = sa.select(notices).where(notices.c.id == notice_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return _notice(row) if row else None


def versions(conn: sa.Connection, notice_id: str) -> list[VersionRow]:
    rows = conn.execute(sa.select(notice_versions).where(notice_versions.c.notice_id == notice_id)
                        .order_by(notice_versions.c.version.desc()))
    return [_version(r) for r in rows]


def version(conn: sa.Connection, notice_id: str, number: int) -> VersionRow | None:
    row = conn.execute(sa.select(notice_versions).where(notice_versions.c.notice_id == notice_id,
                                                        notice_versions.c.version == number)).first()
    return _version(row) if row else None


def listed(conn: sa.Connection, now: datetime, *, state: ListState = "live", units: sa.Select[str] | None = None,
           limit: int = 200) -> list[NoticeRow]:
    """Pinned first, then newest publication; ``live``: not withdrawn and not expired (scheduled ones included),
    ``history``: withdrawn or expired. ``units``: only notices targeting one of them (None: all)."""
    query = sa.select(notices)
    not_expired = sa.or_(notices.c.expires_at.is_(None), notices.c.expires_at > now)
    if state == "live":
        query = query.where(notices.c.withdrawn_at.is_(None), not_expired)
    elif state == "history":
        query = query.where(sa.or_(notices.c.withdrawn_at.is_not(None), sa.not_(not_expired)))
    if units is not None:
        query = query.where(notices.c.target_code.in_(units))
    query = query.order_by(notices.c.pinned.desc(), notices.c.publish_at.desc(), notices.c.id.desc()).limit(limit)
    return [_notice(r) for r in conn.execute(query)]


def due_for_delivery(conn: sa.Connection, now: datetime) -> list[NoticeRow]:
    """Notices that should be on kiosks now: published, not withdrawn, not expired."""
    query = sa.select(notices).where(notices.c.withdrawn_at.is_(None), notices.c.publish_at <= now,
                                     sa.or_(notices.c.expires_at.is_(None), notices.c.expires_at > now))
    return [_notice(r) for r in conn.execute(query.order_by(notices.c.publish_at, notices.c.id))]


def withdrawn_since(conn: sa.Connection, since: datetime) -> list[NoticeRow]:
    """Notices withdrawn after ``since`` that some kiosk got a publication of (their withdrawals may be missing)."""
    published = sa.select(notice_deliveries.c.notice_id).where(notice_deliveries.c.action == "publish")
    return [_notice(r) for r in conn.execute(sa.select(notices).where(
        notices.c.withdrawn_at > since, notices.c.id.in_(published)))]


def _kiosks_within(unit_code: str) -> sa.Select[str]:
    binding = org_repo.binding_view()
    return sa.select(binding.c.device_id).where(binding.c.kind == "kiosk",
                                                binding.c.unit_code.in_(org_repo.unit_subtree(unit_code)))


def _queued(notice_id: str, version: int | None, action: str) -> sa.Select[str]:
    query = sa.select(notice_deliveries.c.device_id).where(notice_deliveries.c.notice_id == notice_id,
                                                           notice_deliveries.c.action == action)
    return query if version is None else query.where(notice_deliveries.c.version == version)


def kiosks_lacking(conn: sa.Connection, notice: NoticeRow) -> list[str]:
    """Kiosks bound in the target's subtree that were not sent the current version yet (an anti-join: a pass
    over notices that every kiosk has costs an index probe each, not a read of all their deliveries)."""
    targets = _kiosks_within(notice.target_code).subquery("targets")
    query = sa.select(targets.c.device_id).where(
        targets.c.device_id.not_in(_queued(notice.id, notice.version, "publish")))
    return sorted(conn.execute(query).scalars())


def holders_to_withdraw(conn: sa.Connection, notice: NoticeRow, *, targeted: bool) -> list[str]:
    """Kiosks that were sent some version of the notice and should not show it (withdrawn: all of them; else those
    outside the target now), and have no withdrawal of the current version yet."""
    query = (sa.select(notice_deliveries.c.device_id).distinct()
             .where(notice_deliveries.c.notice_id == notice.id, notice_deliveries.c.action == "publish",
                    notice_deliveries.c.device_id.not_in(_queued(notice.id, notice.version, "withdraw"))))
    if targeted:
        query = query.where(notice_deliveries.c.device_id.not_in(_kiosks_within(notice.target_code)))
    return sorted(conn.execute(query).scalars())


def deliveries_of(conn: sa.Connection, notice_id: str) -> list[DeliveryRow]:
    receipts = downlink_rows.receipt_view()
    query = (sa.select(notice_deliveries.c.device_id, notice_deliveries.c.version, notice_deliveries.c.action,
                       notice_deliveries.c.downlink_id, notice_deliveries.c.queued_at,
                       receipts.c.last_sent_at.label("sent_at"), receipts.c.delivered_at, receipts.c.read_at)
             .outerjoin(receipts, receipts.c.id == notice_deliveries.c.downlink_id)
             .where(notice_deliveries.c.notice_id == notice_id)
             .order_by(notice_deliveries.c.device_id, notice_deliveries.c.version, notice_deliveries.c.action))
    return [DeliveryRow(**r._mapping) for r in conn.execute(query)]


def counts(conn: sa.Connection, current: Sequence[tuple[str, int]]) -> dict[str, Counts]:
    """notice id → kiosks the current version was queued for, delivered to, shown on (READ confirmed)."""
    if not current:
        return {}
    receipts = downlink_rows.receipt_view()
    wanted = sa.or_(*(sa.and_(notice_deliveries.c.notice_id == nid, notice_deliveries.c.version == v)
                      for nid, v in current))
    query = (sa.select(notice_deliveries.c.notice_id, sa.func.count(),
                       sa.func.count(receipts.c.delivered_at), sa.func.count(receipts.c.read_at))
             .outerjoin(receipts, receipts.c.id == notice_deliveries.c.downlink_id)
             .where(notice_deliveries.c.action == "publish", wanted)
             .group_by(notice_deliveries.c.notice_id))
    return {nid: Counts(k, d, s) for nid, k, d, s in conn.execute(query)}
