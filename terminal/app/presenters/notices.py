"""The grid's notices (网格公告) as the hub sent them, newest first."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.app.i18n import Translator
from terminal.app.presenters.common import local_time
from terminal.device import Device
from terminal.tasks import displayed_notices


@dataclass(frozen=True)
class NoticeItem:
    message_id: str
    title: str
    text: str
    published: str


class NoticesPresenter:
    def __init__(self, device: Device, tr: Translator, *, grid_code: str = ""):
        self.device, self.tr, self.grid_code = device, tr, grid_code

    def items(self) -> list[NoticeItem]:
        return [NoticeItem(mid, n.title, n.text, local_time(n.published_at))
                for mid, n in displayed_notices(self.device.store, self.grid_code)]

    def empty_text(self) -> str:
        return self.tr.t("notices.empty")
