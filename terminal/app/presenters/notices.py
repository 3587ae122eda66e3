"""The grid's notices as the hub sent them: an archive, pinned first, then newest, with categories and read marks.

Two kinds arrive. ``bulletin`` (居务公开, ``terminal/bulletins.py``) carries its real category (居务 / 财务 / 服务事项 /
办事流程 / 议题公示 / 通知, worded by protocol/labels.py), a pin, images and an expiry; it is marked read - and the hub
told so by a READ confirmation - as soon as it is listed on screen (``show``), which is what the control room counts
as "shown". The old ``notice`` (``NoticeBody``) carries no category, so the kiosk sorts it by words of its title and
text (停水 / 义诊 / 防火 ...); it is marked read when a resident opens it.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from protocol import NOTICE_CATEGORIES, NoticeBody
from protocol.labels import notice_category_label
from terminal.app.i18n import Translator
from terminal.app.presenters.common import local_time
from terminal.bulletins import shown_bulletins
from terminal.device import Device
from terminal.tasks import displayed_notices

ALL, UNREAD = "all", "unread"
# category → words that put a notice in it; the first category with a match wins, else "general"
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "works": ("停水", "停电", "停气", "施工", "维修", "管网", "检修", "outage", "works"),
    "safety": ("安全", "防火", "消防", "防汛", "台风", "诈骗", "燃气", "警示", "safety", "fire"),
    "health": ("义诊", "体检", "疫苗", "健康", "医保", "接种", "health", "clinic"),
    "activity": ("活动", "议事", "讲座", "志愿", "文艺", "比赛", "event", "meeting"),
}
BULLETIN_CATEGORIES = tuple(c for c in NOTICE_CATEGORIES if c != "general")  # a bulletin's own, from protocol
CATEGORIES = (*BULLETIN_CATEGORIES, *CATEGORY_WORDS, "general")


def notice_category(notice: NoticeBody) -> str:
    words = f"{notice.title} {notice.text}".lower()
    return next((cat for cat, keys in CATEGORY_WORDS.items() if any(k in words for k in keys)), "general")


@dataclass(frozen=True)
class NoticeItem:
    message_id: str
    title: str
    text: str
    published: str
    category: str = "general"
    category_text: str = ""
    read: bool = False
    pinned: bool = False
    images: tuple[bytes, ...] = ()  # JPEGs of a bulletin
    bulletin: bool = False


def _jpegs(images: list) -> tuple[bytes, ...]:
    out = []
    for image in images:
        try:
            out.append(base64.b64decode(image.jpeg_b64, validate=True))
        except (binascii.Error, ValueError):
            continue
    return tuple(out)


class NoticesPresenter:
    def __init__(self, device: Device, tr: Translator, *, grid_code: str = ""):
        self.device, self.tr, self.grid_code = device, tr, grid_code
        self.filter = ALL
        self.selected: str | None = None

    def category_text(self, category: str) -> str:
        if category in NOTICE_CATEGORIES:  # the shared catalogue: the words the control room chose it by
            return notice_category_label(category, self.tr.language)
        return self.tr.t(f"notices.cat.{category}")

    def all_items(self) -> list[NoticeItem]:
        """Bulletins (pinned first, then newest) and old notices, merged by publication time under the pinned."""
        read = {e.id for e in self.device.inbox() if e.kind == "notice" and e.state == "read"}
        dated = []
        for b in shown_bulletins(self.device.store, self.device.store.clock()):
            body = b.body
            cat = body.category if body.category in BULLETIN_CATEGORIES else "general"
            dated.append((body.pinned, body.published_at, NoticeItem(
                b.message_id, body.title, body.text, local_time(body.published_at), cat, self.category_text(cat),
                b.read, body.pinned, _jpegs(body.images), True)))
        for mid, n in displayed_notices(self.device.store, self.grid_code):
            cat = notice_category(n)
            dated.append((False, n.published_at, NoticeItem(mid, n.title, n.text, local_time(n.published_at), cat,
                                                            self.category_text(cat), mid in read)))
        dated.sort(key=lambda x: (not x[0], -x[1].timestamp()))
        return [item for _, _, item in dated]

    def show(self) -> list[NoticeItem]:
        """The list as the screen shows it now; every bulletin in it is marked shown (READ to the hub)."""
        found = self.items()
        for item in found:
            if item.bulletin and not item.read:
                self.device.mark_read(item.message_id)
        return found

    def items(self) -> list[NoticeItem]:
        """The archive under the current filter: all, unread, or one category."""
        found = self.all_items()
        if self.filter == UNREAD:
            return [i for i in found if not i.read]
        if self.filter in CATEGORIES:
            return [i for i in found if i.category == self.filter]
        return found

    def unread_count(self) -> int:
        return sum(1 for i in self.all_items() if not i.read)

    def filters(self) -> list[tuple[str, str]]:
        """(key, label) of the filter chips: all, unread (with a count), and each category that has notices."""
        found = self.all_items()
        present = [c for c in CATEGORIES if any(i.category == c for i in found)]
        unread = sum(1 for i in found if not i.read)
        return [(ALL, f"{self.tr.t('notices.all')} {len(found)}"),
                (UNREAD, f"{self.tr.t('notices.unread')} {unread}")] + [
            (c, self.category_text(c)) for c in present]

    def set_filter(self, key: str) -> None:
        self.filter = key if key in (ALL, UNREAD, *CATEGORIES) else ALL

    def open(self, message_id: str) -> NoticeItem | None:
        """Show one notice in full and mark it read (on this kiosk, and to the hub)."""
        item = next((i for i in self.all_items() if i.message_id == message_id), None)
        if item is None:
            return None
        self.selected = message_id
        if not item.read:
            self.device.mark_read(message_id)
        return item

    def selected_item(self) -> NoticeItem | None:
        return next((i for i in self.all_items() if i.message_id == self.selected), None) if self.selected else None

    def reset(self) -> None:
        self.filter, self.selected = ALL, None

    def empty_text(self) -> str:
        return self.tr.t("notices.empty")
