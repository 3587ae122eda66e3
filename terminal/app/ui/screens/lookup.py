"""Check progress (kiosk): type or scan a reference / receipt code, see the case's state, deadline and result photo."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.app.presenters.keypad import LOOKUP_KEYS, key_label, press
from terminal.app.presenters.lookup import MAX_QUERY
from terminal.app.ui.keypad import open_typing
from terminal.app.ui.scanning import ScanToggle
from terminal.app.ui.widgets import GridlineScreen


class LookupScreen(ScanToggle, GridlineScreen):
    query = StringProperty("")
    headline = StringProperty("")
    status = StringProperty("idle")
    cases = ListProperty([])
    scanning = BooleanProperty(False)
    has_photo = BooleanProperty(False)
    followup_reference = StringProperty("")  # a closed case found here awaiting its follow-up

    def on_kv_post(self, *_: object) -> None:
        pad = self.ids.pad
        pad.keys = LOOKUP_KEYS
        pad.on_press_key = self.press_key

    def on_leave(self, *_: object) -> None:
        self.stop_scan()
        self.ctx.lookup.reset()  # the next resident does not see this one's question

    def refresh(self) -> None:
        flow = self.ctx.lookup
        self.ids.pad.labels = [key_label(k, self.t("input.delete"), self.t("input.clear")) for k in LOOKUP_KEYS]
        view = flow.view()
        self.query = flow.query
        self.status, self.headline = view.status, view.headline
        if view.status == "idle" and self.message:
            self.headline = self.message
        self.cases = [{"title": c.title, "category": c.category, "state": c.state, "reported": c.reported,
                       "deadline": c.deadline, "overdue": c.overdue, "note": c.note,
                       "photo_text": self.t("lookup.result_photo" if c.thumbnail else "lookup.no_result_photo")}
                      for c in view.cases]
        followup = self.ctx.followup
        self.followup_reference = next((c.title for c in view.cases if c.state_key == "closed" and followup is not None
                                        and followup.awaits(c.title)), "")
        first = next((c.thumbnail for c in view.cases if c.thumbnail), None)
        self.has_photo = first is not None
        if first is not None:
            self.ids.result_photo.show_jpeg(first)

    def tick(self) -> None:
        if self.ctx.lookup.request is not None:
            self.refresh()  # the answer arrives by downlink; the 1 s tick picks it up

    def press_key(self, key: str) -> None:
        self.ctx.lookup.set_query(press(self.ctx.lookup.query, key, max_len=MAX_QUERY))
        self.message = ""
        self.refresh()

    def open_keyboard(self) -> None:
        open_typing(self.ctx.lookup.query, self._typed, max_len=MAX_QUERY)

    def _typed(self, text: str) -> None:
        self.ctx.lookup.set_query(text)
        self.refresh()

    def ask(self) -> None:
        self.stop_scan()
        self.guard(self.ctx.lookup.ask)

    def scan_once(self) -> bool:
        try:
            self.ids.camera.show_frame(self.ctx.photos.frame())
        except Exception:  # noqa: BLE001 - the flow reports a camera error itself
            pass
        return self.ctx.lookup.scan()

    def answer_followup(self) -> None:
        """Follow-up from a lookup: the prompt screen for the case found, back here afterwards."""
        if self.ctx.followup is not None and self.ctx.followup.for_reference(self.followup_reference):
            screen = self.app.screen("followup")
            screen.back_to = "lookup"
            self.app.go("followup")

    def leave(self) -> None:
        self.app.go("home")
