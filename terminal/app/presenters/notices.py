"""The grid's notices (网格公告) as the hub sent them: an archive, newest first, with categories and read marks.

Categories: ``NoticeBody`` carries none (adding a field would break kiosks that forbid unknown ones), so the kiosk
sorts each notice by words of its title and text (停水 / 义诊 / 防火 ...). Read marks: opening a notice marks its
inbox entry read on this kiosk and tells the hub (a READ confirmation), so staff can see a notice was looked at.
"""
from __future__ import annotations

from dataclasses import dataclass

from protocol import NoticeBody
from terminal.app.i18n import Translator
from terminal.app.presenters.common import local_time
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
CATEGORIES = (*CATEGORY_WORDS, "general")


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


class NoticesPresenter:
    def __init__(self, device: Device, tr: Translator, *, grid_code: str = ""):
        self.device, self.tr, self.grid_code = device, tr, grid_code
        self.filter = ALL
        self.selected: str | None = None

    def all_items(self) -> list[NoticeItem]:
        read = {e.id for e in self.device.inbox() if e.kind == "notice" and e.state == "read"}
        out = []
        for mid, n in displayed_notices(self.device.store, self.grid_code):
            cat = notice_category(n)
            out.append(NoticeItem(mid, n.title, n.text, local_time(n.published_at), cat,
                                  self.tr.t(f"notices.cat.{cat}"), mid in read))
        return out

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
            (c, self.tr.t(f"notices.cat.{c}")) for c in present]

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
