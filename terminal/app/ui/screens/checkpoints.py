"""The patrol tablet's checkpoint screen (scan a checkpoint's QR, run its checklist, photograph a failed item, submit)
and the volunteer's hours screen. The presenter (terminal/app/presenters/checkpoints.py) decides everything."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.app.ui.scanning import ScanToggle
from terminal.app.ui.widgets import GridlineScreen


class CheckpointScreen(ScanToggle, GridlineScreen):
    scanning = BooleanProperty(False)
    name_line = StringProperty("")
    flagged = BooleanProperty(False)
    points = ListProperty([])  # [{text, visited}]
    items = ListProperty([])  # [{code, text, answer, has_photo}]

    def refresh(self) -> None:
        flow = self.ctx.checkpoints
        if flow is None:
            return
        self.message = flow.message
        visit = flow.visit
        self.name_line = visit.checkpoint.name if visit else ""
        self.flagged = visit is not None and not visit.within
        self.points = [{"text": ("✓ " if seen else "· ") + c.name, "visited": seen} for c, seen in flow.route()]
        self.items = [{"code": i.code, "text": i.text, "answer": i.answer, "has_photo": i.has_photo}
                      for i in flow.items()]

    def scan_once(self) -> bool:
        return bool(self.ctx.checkpoints.scan())

    def answer(self, code: str, ok: bool) -> None:
        self.guard(self.ctx.checkpoints.answer, code, ok)

    def photograph(self, code: str) -> None:
        self.guard(self.ctx.checkpoints.photograph, code)

    def finish(self) -> None:
        self.guard(self.ctx.checkpoints.finish)

    def back(self) -> None:
        self.stop_scan()
        self.app.go("home")


class HoursScreen(GridlineScreen):
    lines = ListProperty([])  # [{label, value}]

    def refresh(self) -> None:
        flow = self.ctx.checkpoints
        rows = flow.balance_lines() if flow is not None else []
        self.lines = [{"label": label, "value": value} for label, value in rows]
        self.message = "" if rows else self.t("hours.none")

    def back(self) -> None:
        self.app.go("home")
