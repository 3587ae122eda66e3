"""The report screen (kiosk problem report, tablet hazard report): preview, capture, category, details, place; and
the kiosk's success screen (receipt code, case reference, QR)."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from terminal.app.presenters.report import cell_label
from terminal.app.ui.keypad import open_typing
from terminal.app.ui.widgets import GridlineScreen
from terminal.camera import CameraError

PREVIEW_PERIOD_S = 0.2
_GAPS = ("report.photo_needed", "report.category_needed", "report.position_needed")


class ReportScreen(GridlineScreen):
    has_photo = BooleanProperty(False)
    photo_message = StringProperty("")
    majors = ListProperty([])
    categories = ListProperty([])
    category_text = StringProperty("")
    severity = StringProperty("normal")
    place_text = StringProperty("")
    device_place_label = StringProperty("")
    grid_map = ObjectProperty(None, allownone=True)
    home_cell = ListProperty([])
    major = StringProperty("")
    title_text = StringProperty("")
    phrases = ListProperty([])
    note = StringProperty("")

    def on_kv_post(self, *_: object) -> None:
        self.ids.map.on_pick = self.pick_on_map
        self.ids.phrases.on_phrase = self.add_phrase

    def on_enter(self, *_: object) -> None:
        self._preview(0)  # a picture at once, not an empty white box until the first tick
        self._preview_event = Clock.schedule_interval(self._preview, PREVIEW_PERIOD_S)

    def on_leave(self, *_: object) -> None:
        if getattr(self, "_preview_event", None) is not None:
            self._preview_event.cancel()
            self._preview_event = None

    def _preview(self, _dt: float) -> None:
        if self.ctx.report.photo is not None:
            return  # keep showing the captured photo
        try:
            self.ids.preview.show_frame(self.ctx.photos.frame())
        except CameraError as exc:
            self.photo_message = self.t("report.no_camera", error=exc)

    def refresh(self) -> None:
        flow, ctx = self.ctx.report, self.ctx
        self.has_photo = flow.photo is not None
        self.photo_message = flow.message if flow.message else self.t("report.photo_needed")
        missing = flow.missing()
        if any(self.message == self.t(gap) and gap not in missing for gap in _GAPS):
            self.message = ""  # the refusal was answered (a good photo, a category, a place): do not leave it up
        everything = {"key": "", "text": self.t("report.category_all"), "state": "down" if not self.major else "normal"}
        self.majors = [everything] + [{"key": key, "text": label, "state": "down" if key == self.major else "normal"}
                                      for key, label in flow.majors()]
        self.categories = [{"code": c.code, "text": c.name, "glyph": c.icon.glyph, "badge": c.icon.color,
                            "state": "down" if c.chosen else "normal"}
                           for c in flow.category_items(self.major or None)]
        self.category_text = flow.category_label(flow.category) if flow.category else self.t("report.category_needed")
        self.severity = flow.severity.value
        self.place_text = flow.place_text()
        self.phrases = [{"key": key, "text": text} for key, text in flow.phrases()]
        self.note = flow.note
        kiosk = ctx.profile == "kiosk"
        self.title_text = self.t("report.title" if kiosk else "report.title_hazard")
        self.device_place_label = self.t("report.position_fixed" if kiosk else "report.use_current")
        if ctx.grid_map is not None:
            if self.grid_map is None:
                self.grid_map = self.ids.map.grid_map = ctx.grid_map
                self.ids.map.labels = [cell_label(r, c) for r in range(ctx.grid_map.rows)
                                       for c in range(ctx.grid_map.cols)]
            fix = flow.position()
            self.home_cell = list(ctx.grid_map.cell_of(fix.lat, fix.lon) or []) if fix else []
            self.ids.map.home_cell = self.home_cell
            picked = flow.place.cell if flow.place is not None and flow.place.source == "map" else None
            for cell in self.ids.map.children:
                cell.state = "down" if picked == (cell.row, cell.col) else "normal"
        if flow.photo is not None:
            self.ids.preview.show_jpeg(flow.photo.thumbnail)

    def capture(self) -> None:
        if self.ctx.report.photo is not None:  # "retake": back to the live preview
            self.ctx.report.photo = None
            self.ctx.report.message = ""
            self.refresh()
            return
        self.guard(self.ctx.report.capture)

    def show_major(self, key: str) -> None:
        self.major = key
        self.refresh()

    def choose_category(self, code: str) -> None:
        self.guard(self.ctx.report.choose_category, code)

    def set_note(self, text: str) -> None:
        self.ctx.report.set_note(text)
        self.note = self.ctx.report.note

    def add_phrase(self, phrase: str) -> None:
        self.note = self.ctx.report.add_phrase(phrase)

    def open_keyboard(self) -> None:
        open_typing(self.note, self.set_note, phrases=self.phrases)

    def set_severity(self, value: str) -> None:
        self.guard(self.ctx.report.set_severity, value)

    def use_device_position(self) -> None:
        self.ids.map.clear_pick()
        self.guard(self.ctx.report.use_device_position)

    def pick_on_map(self, row: int, col: int) -> None:
        self.guard(self.ctx.report.pick_on_map, row, col)

    def submit(self) -> None:
        flow = self.ctx.report
        chosen = flow.category
        report = self.guard(flow.submit)
        if report is None:
            return
        self.ids.map.clear_pick()
        self.note = ""
        receipt = getattr(self.ctx, "receipt", None)
        if receipt is not None:  # the kiosk: a success screen of its own, not a line of text
            receipt.show(report, chosen)
            self.message = ""
            self.app.go("report_done")
        else:
            self.message = flow.message
        self.app.refresh_now()

    def leave(self) -> None:
        self.ctx.report.reset()
        self.message = ""
        self.note = ""
        self.app.go("home")


class ReportDoneScreen(GridlineScreen):
    """The success screen: the receipt code at once, the case reference once the hub has it, and a QR."""

    receipt_code = StringProperty("")
    reference_text = StringProperty("")
    category = StringProperty("")
    status = StringProperty("")
    has_reference = BooleanProperty(False)
    qr_text = StringProperty("")
    has_receipt = BooleanProperty(False)

    def refresh(self) -> None:
        view = self.ctx.receipt.view()
        self.has_receipt = view is not None
        if view is None:  # reached without a report (after the idle return): say so, claim no success
            self.receipt_code = self.reference_text = self.category = self.status = self.qr_text = ""
            return
        self.receipt_code, self.reference_text, self.category = view.receipt_code, view.reference_text, view.category
        self.status, self.has_reference = view.status, bool(view.reference)
        if view.qr_text != self.qr_text:
            self.qr_text = view.qr_text
            self.ids.qr.show_frame(self.ctx.receipt.qr(), long_side=1024)

    def on_leave(self, *_: object) -> None:
        self.ctx.receipt.clear()  # the next resident does not see this receipt

    def tick(self) -> None:
        self.ctx.receipt.poll()
        self.refresh()

    def again(self) -> None:
        self.ctx.receipt.clear()
        self.app.go("report")

    def leave(self) -> None:
        self.ctx.receipt.clear()
        self.app.go("home")
