"""Kiosk screens besides reporting: home, resident check-in, notices."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.app.presenters.checkin import KINDS
from terminal.app.ui.widgets import GridlineScreen

SCAN_PERIOD_S = 0.4  # QR decoding costs ~20-60 ms a frame; a few looks a second feels instant


class KioskHomeScreen(GridlineScreen):
    title = StringProperty("")
    notices_label = StringProperty("")
    idle_hint = StringProperty("")
    checkin_available = BooleanProperty(True)

    def refresh(self) -> None:
        ctx = self.ctx
        self.title = ctx.title()
        count = len(ctx.notices.items())
        self.notices_label = self.t("kiosk.notices") + (f" ({count})" if count else "")
        self.idle_hint = self.t("kiosk.idle_hint", n=int(ctx.config.idle_timeout_s))
        self.checkin_available = ctx.checkin is not None

    def open(self, name: str) -> None:
        self.app.go(name)


class CheckinScreen(GridlineScreen):
    kinds = ListProperty([])
    chosen_kind = StringProperty("")
    has_card = BooleanProperty(False)

    def on_enter(self, *_: object) -> None:
        self._scan_event = Clock.schedule_interval(self._scan, SCAN_PERIOD_S)

    def on_leave(self, *_: object) -> None:
        if getattr(self, "_scan_event", None) is not None:
            self._scan_event.cancel()
            self._scan_event = None

    def _scan(self, _dt: float) -> None:
        flow = self.ctx.checkin
        if flow is None or flow.resident_key is not None:
            return
        try:
            self.ids.preview.show_frame(self.ctx.photos.frame())
        except Exception:  # noqa: BLE001 - a camera error is shown by flow.scan below; the preview stays still
            pass
        flow.scan()
        self.refresh()

    def refresh(self) -> None:
        flow = self.ctx.checkin
        if flow is None:
            self.message = self.t("checkin.card_needed")
            return
        self.kinds = [{"kind": k.value, "text": flow.kind_label(k),
                       "state": "down" if flow.kind == k else "normal"} for k in KINDS]
        self.chosen_kind = flow.kind.value if flow.kind else ""
        self.has_card = flow.resident_key is not None
        self.message = flow.message

    def type_card(self, number: str) -> None:
        self.guard(self.ctx.checkin.type_card, number)
        self.ids.card.text = ""  # the number is hashed; do not leave it on screen for the next person

    def choose_kind(self, kind: str) -> None:
        self.guard(self.ctx.checkin.choose_kind, kind)

    def set_note(self, text: str) -> None:
        if self.ctx.checkin is not None:
            self.ctx.checkin.set_note(text)

    def submit(self) -> None:
        if self.guard(self.ctx.checkin.submit) is not None:
            self.ids.note.text = ""
            self.app.refresh_now()

    def leave(self) -> None:
        if self.ctx.checkin is not None:
            self.ctx.checkin.reset()
        self.app.go("home")


class NoticesScreen(GridlineScreen):
    notices = ListProperty([])
    empty = StringProperty("")

    def refresh(self) -> None:
        items = self.ctx.notices.items()
        self.notices = [{"title": n.title, "text": n.text, "published": n.published} for n in items]
        self.empty = "" if items else self.ctx.notices.empty_text()
