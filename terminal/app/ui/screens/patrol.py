"""The tablet's home: patrol start/stop, live distance and duration, hazard report, last summary."""
from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from terminal.app.ui.widgets import GridlineScreen


class PatrolScreen(GridlineScreen):
    running = BooleanProperty(False)
    headline = StringProperty("")
    fixes = StringProperty("")
    summary = StringProperty("")

    def refresh(self) -> None:
        view = self.ctx.patrol.view()
        self.running, self.headline, self.fixes, self.summary = view.running, view.headline, view.fixes, view.summary

    def tick(self) -> None:
        if self.ctx.patrol.poll():
            self.app.refresh_now()
        self.refresh()

    def toggle(self) -> None:
        self.guard(self.ctx.patrol.stop if self.ctx.patrol.running else self.ctx.patrol.start)

    def hazard(self) -> None:
        if self.ctx.report.position() is None:
            self.message = self.t("patrol.needs_fix")
            return
        self.app.go("report")
