"""Kiosk screens besides reporting and progress lookup: home, resident check-in, notices."""
from __future__ import annotations

import io

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from terminal.app.presenters.checkin import KINDS
from terminal.app.presenters.keypad import CARD_KEYS, key_label
from terminal.app.ui.keypad import open_typing
from terminal.app.ui.widgets import GridlineScreen

SCAN_PERIOD_S = 0.4  # QR decoding costs ~20-60 ms a frame; a few looks a second feels instant


class KioskHomeScreen(GridlineScreen):
    title = StringProperty("")
    notices_label = StringProperty("")
    idle_hint = StringProperty("")
    checkin_available = BooleanProperty(True)
    checkin_reason = StringProperty("")

    def refresh(self) -> None:
        ctx = self.ctx
        self.title = ctx.title()
        unread = ctx.notices.unread_count()
        self.notices_label = self.t("kiosk.notices") + (f"  ·  {self.t('notices.unread_count', n=unread)}"
                                                         if unread else "")
        self.idle_hint = self.t("kiosk.idle_hint", n=int(ctx.config.idle_timeout_s))
        self.checkin_available = ctx.checkin is not None
        self.checkin_reason = "" if self.checkin_available else self.t("kiosk.checkin_unavailable")

    def open(self, name: str) -> None:
        self.app.go(name)


class CheckinScreen(GridlineScreen):
    kinds = ListProperty([])
    chosen_kind = StringProperty("")
    has_card = BooleanProperty(False)
    card_shown = StringProperty("")
    note = StringProperty("")

    def on_kv_post(self, *_: object) -> None:
        pad = self.ids.pad
        pad.keys = CARD_KEYS
        pad.on_press_key = self.press_card_key

    def on_enter(self, *_: object) -> None:
        self._scan_event = Clock.schedule_interval(self._scan, SCAN_PERIOD_S)

    def on_leave(self, *_: object) -> None:
        if getattr(self, "_scan_event", None) is not None:
            self._scan_event.cancel()
            self._scan_event = None

    def _scan(self, _dt: float) -> None:
        flow = self.ctx.checkin
        if self.ctx.service_receipt is not None and self.ctx.service_receipt.poll():
            self.refresh()  # the service check-in's case reference came
        if flow is None or flow.resident_key is not None:
            return
        try:
            self.ids.preview.show_frame(self.ctx.photos.frame())
        except Exception:  # noqa: BLE001 - a camera error is shown by flow.scan below; the preview stays still
            pass
        if flow.scan():
            self._card_known()
        self.refresh()

    def _card_known(self) -> None:
        """A card was read: when its holder reported a case now closed, ask for the follow-up first."""
        key, followup = self.ctx.checkin.resident_key, self.ctx.followup
        if key and followup is not None and followup.on_card(key):
            self.app.go("followup")

    def refresh(self) -> None:
        flow = self.ctx.checkin
        self.ids.pad.labels = [key_label(k, self.t("input.delete"), self.t("input.clear")) for k in CARD_KEYS]
        if flow is None:
            self.message = self.t("kiosk.checkin_unavailable")
            return
        self.kinds = [{"kind": k.value, "text": flow.kind_label(k),
                       "state": "down" if flow.kind == k else "normal"} for k in KINDS]
        self.chosen_kind = flow.kind.value if flow.kind else ""
        self.has_card = flow.resident_key is not None
        self.card_shown = flow.masked_card()
        self.note = flow.note
        service = self.ctx.service_receipt
        self.message = service.text() if service is not None and service.checkin is not None else flow.message

    def press_card_key(self, key: str) -> None:
        if self.ctx.checkin is not None:
            self.ctx.checkin.press_card_key(key)
            self.refresh()

    def use_card(self) -> None:
        if self.guard(self.ctx.checkin.use_typed_card):  # the number is hashed and forgotten at once
            self._card_known()

    def choose_kind(self, kind: str) -> None:
        self.guard(self.ctx.checkin.choose_kind, kind)

    def report_with_card(self) -> None:
        """The card just read goes with a new report (its keyed hash only): the follow-up asks this resident later."""
        key = self.ctx.checkin.resident_key if self.ctx.checkin is not None else None
        if key:
            self.ctx.report.use_card(key)
            self.ctx.checkin.reset()
            self.app.go("report")

    def set_note(self, text: str) -> None:
        if self.ctx.checkin is not None:
            self.ctx.checkin.set_note(text)
            self.note = self.ctx.checkin.note

    def open_keyboard(self) -> None:
        open_typing(self.note, self.set_note)

    def submit(self) -> None:
        record = self.guard(self.ctx.checkin.submit)
        if record is not None:
            if self.ctx.service_receipt is not None:  # legal / mediation / repair: the case reference follows
                self.ctx.service_receipt.show(record)
            self.app.refresh_now()

    def leave(self) -> None:
        if self.ctx.checkin is not None:
            self.ctx.checkin.reset()
        if self.ctx.service_receipt is not None:
            self.ctx.service_receipt.clear()
        self.app.go("home")


def _texture(jpeg: bytes) -> Texture | None:
    try:
        return CoreImage(io.BytesIO(jpeg), ext="jpg").texture
    except Exception:  # noqa: BLE001 - whatever the image loader raises on a bad JPEG: the notice shows without it
        return None


class NoticesScreen(GridlineScreen):
    notices = ListProperty([])
    filters = ListProperty([])
    empty = StringProperty("")
    detail_title = StringProperty("")
    detail_meta = StringProperty("")
    detail_text = StringProperty("")
    detail_image = ObjectProperty(None, allownone=True)  # the chosen notice's first image (a texture)

    def refresh(self) -> None:
        presenter = self.ctx.notices
        items = presenter.show()  # listed on screen now: bulletins are reported shown
        self.filters = [{"key": key, "text": label, "state": "down" if key == presenter.filter else "normal"}
                        for key, label in presenter.filters()]
        self.notices = [{"message_id": n.message_id, "title": n.title, "published": n.published,
                         "category": n.category_text, "unread": not n.read or n.pinned,
                         "selected": n.message_id == presenter.selected,
                         "badge": self.t("notices.pinned") if n.pinned else self.t("notices.new")}
                        for n in items]
        self.empty = "" if items else presenter.empty_text()
        chosen = presenter.selected_item()
        self.detail_title = chosen.title if chosen else ""
        images = f"  ·  {self.t('notices.images', n=len(chosen.images))}" if chosen and chosen.images else ""
        self.detail_meta = f"{chosen.published}  ·  {chosen.category_text}{images}" if chosen else ""
        self.detail_text = chosen.text if chosen else ""
        self.detail_image = _texture(chosen.images[0]) if chosen and chosen.images else None

    def set_filter(self, key: str) -> None:
        self.ctx.notices.set_filter(key)
        self.refresh()

    def open_notice(self, message_id: str) -> None:
        self.ctx.notices.open(message_id)
        self.refresh()

    def leave(self) -> None:
        self.ctx.notices.reset()
        self.app.go("home")

    def on_leave(self, *_: object) -> None:
        self.ctx.notices.reset()  # the next resident starts from the whole archive (read marks stay)
