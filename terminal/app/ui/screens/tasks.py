"""The phone's screens: the task inbox (home) and one task with its photos, map and actions."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty

from terminal.app.alerts import RecordingSound, TaskAlerter
from terminal.app.ui.task_map import PhotoOverlay, PhotoThumb, TaskMap
from terminal.app.ui.widgets import GridlineScreen

__all__ = ["PhotoOverlay", "TaskMap", "TaskScreen", "TasksScreen"]  # the kv rules name the widgets

CHIP_COLOURS = {"new": (0.85, 0.45, 0.10, 1), "accepted": (0.17, 0.42, 0.70, 1), "on_site": (0.16, 0.55, 0.30, 1),
                "resolved": (0.35, 0.38, 0.42, 1), "withdrawn": (0.30, 0.30, 0.30, 1)}


class BannerMixin:
    """The in-app banner (new / changed / withdrawn task), on both phone screens; a touch opens that task.
    Each screen declares its own ``banner`` StringProperty (Kivy properties live on the widget classes)."""

    banner: str

    def show_banner(self) -> None:
        found = self.ctx.tasks.current_banner()  # type: ignore[attr-defined]
        self.banner = found.text if found else ""

    def tick(self) -> None:  # the app's 1 s tick: the banner goes away on its own
        self.show_banner()

    def open_banner(self) -> None:
        case_id = self.ctx.tasks.dismiss_banner()  # type: ignore[attr-defined]
        self.banner = ""
        if case_id and self.guard(self.ctx.tasks.select, case_id) is not None:  # type: ignore[attr-defined]
            self.app.go("task")  # type: ignore[attr-defined]
            self.app.screen("task").refresh()  # type: ignore[attr-defined]


def use_kivy_sound(ctx) -> None:
    """The real tone for the alerter the context built with a recorder (only the Kivy app has an audio device)."""
    alerter = ctx.tasks.alerter
    if isinstance(alerter, TaskAlerter) and type(alerter.sound) is RecordingSound and alerter.sound.played == 0:
        from terminal.app.ui.sound import KivySound

        sound = KivySound()
        if sound.available:
            alerter.sound = sound


class TasksScreen(BannerMixin, GridlineScreen):
    banner = StringProperty("")
    tasks = ListProperty([])
    empty = StringProperty("")
    badge = StringProperty("")
    _sound_ready = False

    def refresh(self) -> None:
        if not self._sound_ready:
            self._sound_ready = True
            use_kivy_sound(self.ctx)
        items = self.ctx.tasks.refresh()
        self.tasks = [{"case_id": i.case_id, "title": ("● " if i.new else "") + i.title,
                       "subtitle": i.subtitle + (f" · {i.unsent}" if i.unsent else ""), "level": i.level,
                       "chip": i.chip_text, "chip_color": CHIP_COLOURS[i.chip], "dim": i.chip == "withdrawn"}
                      for i in items]
        self.empty = "" if items else self.t("tasks.empty")
        count = self.ctx.tasks.new_count()
        self.badge = self.t("tasks.badge", n=count) if count else ""
        self.show_banner()

    def open_task(self, case_id: str) -> None:
        if self.guard(self.ctx.tasks.select, case_id) is not None:
            self.app.go("task")


class TaskScreen(BannerMixin, GridlineScreen):
    banner = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    note = StringProperty("")
    where = StringProperty("")
    how_far = StringProperty("")
    photos = StringProperty("")
    role = StringProperty("")
    chip = StringProperty("")
    chip_color = ListProperty([0.3, 0.3, 0.3, 1])
    map_view = ObjectProperty(None, allownone=True)
    actions = ListProperty([])
    has_task = BooleanProperty(False)
    has_result_photo = BooleanProperty(False)
    viewing = BooleanProperty(False)
    viewing_text = StringProperty("")
    photo_count = NumericProperty(0)

    def refresh(self) -> None:
        flow = self.ctx.tasks
        flow.refresh()  # arrivals raise the banner here too
        detail = flow.detail()
        self.has_task = detail is not None
        if detail is None:
            self.title, self.subtitle, self.note, self.where, self.photos, self.role = \
                self.t("tasks.none_selected"), "", "", "", "", ""
            self.how_far, self.chip, self.map_view = "", "", None
            self.actions = []
            self._show_photos([])
        else:
            self.title, self.subtitle, self.note = detail.item.title, detail.item.subtitle, detail.note
            self.where, self.photos, self.role = detail.where, detail.photos, f"{detail.role} · {detail.state}"
            self.how_far, self.map_view = detail.how_far, detail.map
            self.chip, self.chip_color = detail.item.chip_text, list(CHIP_COLOURS[detail.item.chip])
            self.actions = [a.value for a in detail.item.actions]
            self._show_photos(detail.thumbnails)
        self._show_full_photo()
        self.has_result_photo = flow.result_photo is not None
        self.message = flow.message
        self.show_banner()

    def _show_photos(self, views: list) -> None:
        strip = self.ids.photo_strip
        strip.clear_widgets()
        for view in views:
            thumb = PhotoThumb(view.thumbnail, sha256=view.sha256, label=view.label, status=view.status)
            thumb.on_open = self.open_photo
            strip.add_widget(thumb)
        self.photo_count = len(views)

    def _show_full_photo(self) -> None:
        path, text = self.ctx.tasks.viewing_photo()
        self.viewing = self.ctx.tasks.viewing is not None
        self.viewing_text = text
        if path is not None:
            try:
                self.ids.full_photo.show_jpeg(path.read_bytes())
            except (OSError, ValueError):
                self.viewing_text = self.t("tasks.photo_bad_data")

    def open_photo(self, sha256: str) -> None:
        self.ctx.tasks.open_photo(sha256)
        self.refresh()

    def close_photo(self) -> None:
        self.ctx.tasks.close_photo()
        self.refresh()

    def navigate(self) -> None:
        self.guard(self.ctx.tasks.navigate)

    def accept(self) -> None:
        self.guard(self.ctx.tasks.accept)

    def arrive(self) -> None:
        self.guard(self.ctx.tasks.arrive)

    def capture_result(self) -> None:
        self.guard(self.ctx.tasks.capture_result)
        if self.ctx.tasks.result_photo is not None:
            self.ids.result_photo.show_jpeg(self.ctx.tasks.result_photo.thumbnail)

    def resolve(self) -> None:
        if self.guard(self.ctx.tasks.resolve, self.ids.result_note.text) is not None:
            self.ids.result_note.text = ""

    def verify(self) -> None:
        if self.guard(self.ctx.tasks.verify, self.ids.result_note.text) is not None:
            self.ids.result_note.text = ""

    def return_task(self) -> None:
        if self.guard(self.ctx.tasks.return_task, self.ids.reason.text) is not None:
            self.ids.reason.text = ""

    def leave(self) -> None:
        self.ctx.tasks.close_photo()
        self.app.go("home")
