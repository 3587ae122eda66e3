"""The status bar on every screen: online or not, how much is waiting, when the hub last receipted, uploads."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from terminal.app.i18n import Translator
from terminal.app.presenters.common import format_ago
from terminal.clock import Clock, utc_now
from terminal.sync import SyncStatus


@dataclass(frozen=True)
class StatusView:
    online: bool
    connection: str
    waiting: str
    last_sync: str
    uploading: bool
    progress: float  # 0..1 over photo chunks still uploading; 1.0 when nothing is
    progress_text: str

    @property
    def line(self) -> str:
        parts = [self.connection, self.waiting, self.last_sync] + ([self.progress_text] if self.uploading else [])
        return " · ".join(parts)


class SyncStatusPresenter:
    def __init__(self, status: Callable[[], SyncStatus], tr: Translator, *, clock: Clock = utc_now):
        self.status, self.tr, self.clock = status, tr, clock

    def view(self) -> StatusView:
        s, t = self.status(), self.tr.t
        if s.auth_error:
            connection = t("sync.auth_failed")
        elif not s.online:
            connection = t("sync.offline")
        elif s.hub_online is False:
            connection = t("sync.hub_offline")
        else:
            connection = t("sync.online")
        waiting = (t("sync.waiting", n=s.pending) if s.pending else t("sync.all_sent") if s.last_sync_at
                   else t("sync.nothing"))
        last = t("sync.last", when=format_ago(self.tr, s.last_sync_at, self.clock())) if s.last_sync_at \
            else t("sync.never")
        uploading = s.upload_chunks_total > 0
        progress = s.upload_chunks_acked / s.upload_chunks_total if uploading else 1.0
        return StatusView(online=s.online and not s.auth_error, connection=connection, waiting=waiting, last_sync=last,
                          uploading=uploading, progress=progress,
                          progress_text=t("sync.uploading", done=s.upload_chunks_acked, total=s.upload_chunks_total))
