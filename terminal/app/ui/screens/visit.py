"""The home visit on the phone (one form, every queue): building, household number (hashed at once), who was met,
the needs each with its level, a private note; one save = one record in the outbox. The presenter
(terminal/app/presenters/visit.py) holds the form and records the visit."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from terminal.app.ui.widgets import GridlineScreen


class VisitScreen(GridlineScreen):
    building = StringProperty("")
    household_set = BooleanProperty(False)
    met = StringProperty("resident")
    met_choices = ListProperty([])  # [(value, label)]
    kinds = ListProperty([])  # [(value, label, tagged)]
    levels = ListProperty([])  # [(value, label, chosen)]
    needs_text = StringProperty("")
    note = StringProperty("")

    def refresh(self) -> None:
        flow = self.ctx.visit
        if flow is None:
            return
        view = flow.view()
        tagged = {n.kind for n in view.needs}
        self.building, self.household_set, self.met = view.building, view.household_set, view.met
        self.met_choices = [list(c) for c in view.met_choices]
        self.kinds = [[v, label, v in tagged] for v, label in view.need_kinds]
        self.levels = [[v, label, v == flow.level.value] for v, label in view.need_levels]
        self.needs_text = "  |  ".join(n.text for n in view.needs) or self.t("visit.no_needs")
        self.note = view.note
        self.message = view.message

    def set_building(self, text: str) -> None:
        self.guard(self.ctx.visit.set_building, text)

    def set_household(self, text: str) -> None:
        self.guard(self.ctx.visit.set_household, text)

    def choose_met(self, value: str) -> None:
        self.guard(self.ctx.visit.choose_met, value)

    def choose_level(self, value: str) -> None:
        self.guard(self.ctx.visit.choose_level, value)

    def toggle_need(self, value: str) -> None:
        self.guard(self.ctx.visit.toggle_need, value)

    def set_note(self, text: str) -> None:
        if self.ctx.visit is not None:
            self.ctx.visit.set_note(text)

    def submit(self) -> None:
        self.guard(self.ctx.visit.submit)

    def back(self) -> None:
        self.app.go("home")
