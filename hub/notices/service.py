"""Notices (居务公开): publish, amend (a new version, same id), withdraw; and the fan-out that puts the current
version on every kiosk of the target unit's subtree through the durable downlinks.

The fan-out is one pass over the notices that should be on kiosks now, idempotent (``notice_deliveries`` is unique
per notice, version, kiosk and action): it runs right after each change and as a job (``hub/notices/job.py``), so
a notice whose publish time comes, or a kiosk bound or enrolled later while the notice is live, is served by the next
pass. A kiosk that holds a version of a notice it should no longer show (withdrawn, or the target moved away from it)
gets a withdrawal. Passes are serialised across hub workers by a cluster lock, and each runs in one write
transaction, so two passes never queue the same message.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import ValidationError

from hub.notices import repo
from hub.notices.images import ImageRefused, decode_upload, fit_image
from hub.org import repo as org_repo
from hub.store import DownlinkRow, HubStore
from hub.store import downlinks as downlink_rows
from hub.store.clock import utc_now
from hub.store.locks import ClusterLock
from protocol import BULLETIN_KIND, MAX_BULLETIN_IMAGES, NOTICE_CATEGORIES, BulletinBody, BulletinImage, uuid7

log = logging.getLogger(__name__)

WITHDRAWAL_TTL = timedelta(days=30)  # how long after a withdrawal the hub still takes it back from kiosks
FANOUT_LOCK_WAIT_S = 30.0
BACKDATE_SLACK = timedelta(minutes=5)  # a publish time this far in the past is a clock or typing error


class Sender(Protocol):
    def send_downlinks(self, rows: Any) -> list[str]: ...


class NoticeError(Exception):
    """A request the service refuses: ``status`` for HTTP, ``code`` and words in both languages."""

    def __init__(self, status: int, code: str, zh: str, en: str):
        super().__init__(en)
        self.status, self.code, self.zh, self.en = status, code, zh, en


@dataclass(frozen=True)
class Draft:
    """What an operator writes. ``images``: new uploads (base64) or the sha256 of an image the current version has
    (kept as it is). ``publish_at`` None: now (an amendment keeps the notice's publish time)."""

    title: str
    text: str
    category: str
    target_code: str
    pinned: bool = False
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    images: Sequence[str] = ()


@dataclass(frozen=True)
class NoticeDetail:
    notice: repo.NoticeRow
    current: repo.VersionRow
    versions: list[repo.VersionRow]
    deliveries: list[repo.DeliveryRow]
    counts: repo.Counts


class NoticeService:
    def __init__(self, store: HubStore, bridge: Sender | None = None, *, clock: Callable[[], datetime] = utc_now):
        self.store, self.bridge, self.clock = store, bridge, clock
        self.queued = 0  # downlinks this service queued (publish + withdraw), for figures and tests

    # -- changes -------------------------------------------------------------------------------------------------
    def publish(self, draft: Draft, operator_id: str) -> repo.NoticeRow:
        now = self.clock()
        publish_at = draft.publish_at or now
        images = self._images(draft.images, [])
        self._check(draft, publish_at, now, None)
        notice_id = uuid7(int(now.timestamp() * 1000))
        header = repo.NoticeRow(id=notice_id, version=1, category=draft.category, title=draft.title,
                                pinned=draft.pinned, target_code=draft.target_code, publish_at=publish_at,
                                expires_at=draft.expires_at, created_at=now, created_by=operator_id, updated_at=now,
                                withdrawn_at=None, withdrawn_by=None)
        content = self._readable(self._version(header, draft, images, now, operator_id))
        with self.store.write() as conn:
            self._require_target(conn, draft.target_code)
            repo.insert_notice(conn, header)
            repo.insert_version(conn, content)
        self.fanout()
        return header

    def amend(self, notice_id: str, draft: Draft, operator_id: str, *, expected_version: int | None = None
              ) -> repo.NoticeRow:
        """Version n+1 of the notice: the kiosks replace version n with it."""
        now = self.clock()
        with self.store.write() as conn:
            current = self._live(conn, notice_id)
            if expected_version is not None and expected_version != current.version:
                raise NoticeError(409, "version_conflict",
                                  f"公告已被他人修改（当前第 {current.version} 版），请刷新后再改",
                                  f"the notice was changed meanwhile (now version {current.version}); reload first")
            previous = repo.version(conn, notice_id, current.version)
            publish_at = draft.publish_at or current.publish_at
            images = self._images(draft.images, previous.images if previous else [])
            self._check(draft, publish_at, now, current.publish_at)
            self._require_target(conn, draft.target_code)
            header = replace(current, version=current.version + 1, category=draft.category, title=draft.title,
                             pinned=draft.pinned, target_code=draft.target_code, publish_at=publish_at,
                             expires_at=draft.expires_at, updated_at=now)
            repo.insert_version(conn, self._readable(self._version(header, draft, images, now, operator_id)))
            repo.update_notice(conn, notice_id, {k: getattr(header, k) for k in (
                "version", "category", "title", "pinned", "target_code", "publish_at", "expires_at", "updated_at")})
        self.fanout()
        return header

    def withdraw(self, notice_id: str, operator_id: str) -> repo.NoticeRow:
        """Off every kiosk that got it; kept, with all its versions, in the history."""
        now = self.clock()
        with self.store.write() as conn:
            current = self._live(conn, notice_id)
            repo.update_notice(conn, notice_id, {"withdrawn_at": now, "withdrawn_by": operator_id, "updated_at": now})
        self.fanout()
        return replace(current, withdrawn_at=now, withdrawn_by=operator_id, updated_at=now)

    # -- the fan-out ---------------------------------------------------------------------------------------------
    def fanout(self) -> int:
        """Queue (and send, with a bridge) what kiosks lack; returns how many downlinks were queued."""
        with ClusterLock(self.store.engine, "notice-fanout").held(wait_s=FANOUT_LOCK_WAIT_S) as got:
            if not got:
                return 0
            queued: list[DownlinkRow] = []
            with self.store.write() as conn:
                now = self.clock()
                for notice in repo.due_for_delivery(conn, now):
                    queued += self._serve(conn, notice, now, publish=repo.kiosks_lacking(conn, notice),
                                          take_back=repo.holders_to_withdraw(conn, notice, targeted=True))
                for notice in repo.withdrawn_since(conn, now - WITHDRAWAL_TTL):
                    if notice.expires_at is None or notice.expires_at > now:  # expired: the kiosks hide it anyway
                        queued += self._serve(conn, notice, now, publish=[],
                                              take_back=repo.holders_to_withdraw(conn, notice, targeted=False))
        if queued and self.bridge is not None:
            self.bridge.send_downlinks(queued)  # else the bridge's maintenance sends never-sent downlinks
        if queued:
            log.info("notices: %d downlink(s) queued", len(queued))
        self.queued += len(queued)
        return len(queued)

    def _serve(self, conn: sa.Connection, notice: repo.NoticeRow, now: datetime, *, publish: list[str],
               take_back: list[str]) -> list[DownlinkRow]:
        """Publish the current version to ``publish``; withdraw it from ``take_back``."""
        if not publish and not take_back:
            return []
        content = repo.version(conn, notice.id, notice.version)
        if content is None:  # cannot happen: a version row is written with every header change
            log.error("notice %s has no version %d", notice.id, notice.version)
            return []
        body = self.body(content)
        rows = self._queue(conn, notice, publish, "publish", body.model_dump(mode="json"), notice.expires_at, now)
        if take_back:
            gone = body.model_copy(update={"withdrawn": True, "text": "", "images": []}).model_dump(mode="json")
            rows += self._queue(conn, notice, take_back, "withdraw", gone, notice.expires_at or now + WITHDRAWAL_TTL,
                                now)
        return rows

    @staticmethod
    def _queue(conn: sa.Connection, notice: repo.NoticeRow, devices: Sequence[str], action: str,
               body: dict[str, Any], expires_at: datetime | None, now: datetime) -> list[DownlinkRow]:
        """One downlink per device and its delivery row, each kind in one statement."""
        made = [downlink_rows.new_row(device, BULLETIN_KIND, body, now, expires_at) for device in devices]
        repo.insert_deliveries(conn, notice.id, notice.version, action, [(m["device_id"], m["id"]) for m in made], now)
        return downlink_rows.queue_many(conn, made)

    @staticmethod
    def body(content: repo.VersionRow) -> BulletinBody:
        """The ``bulletin`` body of one version, as the kiosk decodes it (validated here: what is queued reads)."""
        return BulletinBody(notice_id=content.notice_id, version=content.version, category=content.category,
                            title=content.title, text=content.text, pinned=content.pinned,
                            target_code=content.target_code, published_at=content.publish_at,
                            expires_at=content.expires_at,
                            images=[BulletinImage(**image) for image in content.images])

    # -- reads ---------------------------------------------------------------------------------------------------
    def listed(self, *, state: repo.ListState = "live", units: sa.Select[str] | None = None, limit: int = 200
               ) -> list[tuple[repo.NoticeRow, repo.Counts]]:
        with self.store.read() as conn:
            found = repo.listed(conn, self.clock(), state=state, units=units, limit=limit)
            counts = repo.counts(conn, [(n.id, n.version) for n in found])
        return [(n, counts.get(n.id, repo.Counts())) for n in found]

    def notice(self, notice_id: str) -> repo.NoticeRow | None:
        with self.store.read() as conn:
            return repo.notice(conn, notice_id)

    def detail(self, notice_id: str) -> NoticeDetail | None:
        with self.store.read() as conn:
            found = repo.notice(conn, notice_id)
            if found is None:
                return None
            history = repo.versions(conn, notice_id)
            deliveries = repo.deliveries_of(conn, notice_id)
            counts = repo.counts(conn, [(found.id, found.version)]).get(found.id, repo.Counts())
        return NoticeDetail(found, history[0], history, deliveries, counts)

    # -- checks --------------------------------------------------------------------------------------------------
    @staticmethod
    def _live(conn: sa.Connection, notice_id: str) -> repo.NoticeRow:
        current = repo.notice(conn, notice_id, for_update=True)
        if current is None:
            raise NoticeError(404, "not_found", "公告不存在", "no such notice")
        if current.withdrawn_at is not None:
            raise NoticeError(409, "withdrawn", "公告已撤回，不能再修改或撤回", "the notice was withdrawn already")
        return current

    @staticmethod
    def _require_target(conn: sa.Connection, target_code: str) -> None:
        if org_repo.unit(conn, target_code) is None:
            raise NoticeError(422, "unknown_target", f"发布对象 {target_code} 不存在", f"no unit {target_code}")

    @staticmethod
    def _check(draft: Draft, publish_at: datetime, now: datetime, published: datetime | None) -> None:
        """``published``: the notice's publish time before an amendment (kept as it is, however old)."""
        if publish_at < now - BACKDATE_SLACK and publish_at != published:
            raise NoticeError(422, "bad_publish_time", "发布时间不能早于当前时间", "the publish time is in the past")
        if draft.category not in NOTICE_CATEGORIES:
            raise NoticeError(422, "unknown_category", f"未知公告类别 {draft.category}",
                              f"unknown category {draft.category}; one of {', '.join(NOTICE_CATEGORIES)}")
        if draft.expires_at is not None and (draft.expires_at <= publish_at or draft.expires_at <= now):
            raise NoticeError(422, "bad_expiry", "截止时间须晚于发布时间和当前时间",
                              "the expiry must be after the publish time and after now")

    @classmethod
    def _readable(cls, content: repo.VersionRow) -> repo.VersionRow:
        """The version, if its body is one a kiosk reads (checked before it is stored, not when it is sent)."""
        try:
            cls.body(content)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())[:500]
            raise NoticeError(422, "invalid_notice", f"终端无法显示该公告：{problems}",
                              f"a kiosk could not show this notice: {problems}") from None
        return content

    @staticmethod
    def _images(given: Sequence[str], current: list[dict[str, str]]) -> list[dict[str, str]]:
        if len(given) > MAX_BULLETIN_IMAGES:
            raise NoticeError(422, "too_many_images", f"最多 {MAX_BULLETIN_IMAGES} 张图片",
                              f"at most {MAX_BULLETIN_IMAGES} images")
        kept = {image["sha256"]: image for image in current}
        images = []
        for n, item in enumerate(given, 1):
            if item in kept:
                images.append(kept[item])
                continue
            try:
                images.append(fit_image(decode_upload(item)))
            except ImageRefused as exc:
                raise NoticeError(422, "bad_image", f"第 {n} 张图片无法使用：{exc}", f"image {n}: {exc}") from None
        return images

    @staticmethod
    def _version(header: repo.NoticeRow, draft: Draft, images: list[dict[str, str]], now: datetime,
                 operator_id: str) -> repo.VersionRow:
        return repo.VersionRow(notice_id=header.id, version=header.version, category=header.category,
                               title=header.title, text=draft.text, pinned=header.pinned,
                               target_code=header.target_code, publish_at=header.publish_at,
                               expires_at=header.expires_at, images=images, created_at=now, created_by=operator_id)
