"""The report screen (kiosk problem report, tablet hazard report): preview, capture, category, details, place."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from terminal.app.ui.widgets import GridlineScreen
from terminal.camera import CameraError

PREVIEW_PERIOD_S = 0.2


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

    def on_kv_post(self, *_: object) -> None:
        self.ids.map.on_pick = self.pick_on_map

    def on_enter(self, *_: object) -> None:
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
        everything = {"key": "", "text": self.t("report.category_all"), "state": "down" if not self.major else "normal"}
        self.majors = [everything] + [{"key": key, "text": label, "state": "down" if key == self.major else "normal"}
                                      for key, label in flow.majors()]
        self.categories = [{"code": c.code, "text": f"{flow.category_label(c)}  {c.code}",
                            "state": "down" if flow.category is c else "normal"}
                           for c in flow.categories_in(self.major or None)]
        self.category_text = flow.category_label(flow.category) if flow.category else self.t("report.category_needed")
        self.severity = flow.severity.value
        self.place_text = flow.place_text()
        kiosk = ctx.profile == "kiosk"
        self.title_text = self.t("report.title" if kiosk else "report.title_hazard")
        self.device_place_label = self.t("report.position_fixed" if kiosk else "report.use_current")
        if ctx.grid_map is not None:
            if self.grid_map is None:
                self.grid_map = self.ids.map.grid_map = ctx.grid_map
            fix = flow.position()
            self.home_cell = list(ctx.grid_map.cell_of(fix.lat, fix.lon) or []) if fix else []
            self.ids.map.home_cell = self.home_cell
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

    def set_severity(self, value: str) -> None:
        self.guard(self.ctx.report.set_severity, value)

    def use_device_position(self) -> None:
        self.ids.map.clear_pick()
        self.guard(self.ctx.report.use_device_position)

    def pick_on_map(self, row: int, col: int) -> None:
        self.guard(self.ctx.report.pick_on_map, row, col)

    def submit(self) -> None:
        if self.guard(self.ctx.report.submit) is not None:
            self.ids.note.text = ""
            self.ids.map.clear_pick()
            self.message = self.ctx.report.message
            self.app.refresh_now()

    def leave(self) -> None:
        self.ctx.report.reset()
        self.message = ""
        self.ids.note.text = ""
        self.app.go("home")
