"""The phone's screens: the task inbox (home) and one task with its actions."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.app.ui.widgets import GridlineScreen


class TasksScreen(GridlineScreen):
    tasks = ListProperty([])
    empty = StringProperty("")

    def refresh(self) -> None:
        items = self.ctx.tasks.refresh()
        self.tasks = [{"case_id": i.case_id, "title": ("● " if i.new else "") + i.title,
                       "subtitle": i.subtitle + (f" · {i.unsent}" if i.unsent else ""), "level": i.level}
                      for i in items]
        self.empty = "" if items else self.t("tasks.empty")

    def open_task(self, case_id: str) -> None:
        if self.guard(self.ctx.tasks.select, case_id) is not None:
            self.app.go("task")


class TaskScreen(GridlineScreen):
    title = StringProperty("")
    subtitle = StringProperty("")
    note = StringProperty("")
    where = StringProperty("")
    photos = StringProperty("")
    role = StringProperty("")
    actions = ListProperty([])
    has_task = BooleanProperty(False)
    has_result_photo = BooleanProperty(False)

    def refresh(self) -> None:
        flow = self.ctx.tasks
        detail = flow.detail()
        self.has_task = detail is not None
        if detail is None:
            self.title, self.subtitle, self.note, self.where, self.photos, self.role = \
                self.t("tasks.none_selected"), "", "", "", "", ""
            self.actions = []
        else:
            self.title, self.subtitle, self.note = detail.item.title, detail.item.subtitle, detail.note
            self.where, self.photos, self.role = detail.where, detail.photos, f"{detail.role} · {detail.state}"
            self.actions = [a.value for a in detail.item.actions]
        self.has_result_photo = flow.result_photo is not None
        self.message = flow.message

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

    def return_task(self) -> None:
        if self.guard(self.ctx.tasks.return_task, self.ids.reason.text) is not None:
            self.ids.reason.text = ""

    def leave(self) -> None:
        self.app.go("home")
