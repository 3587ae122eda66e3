"""Follow-up at the kiosk: the prompt a resident's card tap brings (or a looked-up closed case) - satisfied,
basically satisfied, dissatisfied - and optional words. The presenter (terminal/app/presenters/followup.py) decides
when to ask and records the answer."""
from __future__ import annotations

from kivy.properties import ListProperty, StringProperty

from terminal.app.ui.keypad import open_typing
from terminal.app.ui.widgets import GridlineScreen


class FollowupScreen(GridlineScreen):
    question = StringProperty("")
    case_line = StringProperty("")
    choices = ListProperty([])
    words = StringProperty("")
    back_to = "checkin"  # where the resident was: the check-in a card tap came from, or the lookup

    def refresh(self) -> None:
        flow = self.ctx.followup
        view = flow.view() if flow is not None else None
        if view is None:
            self.question, self.case_line, self.choices = "", "", []
            self.message = flow.message if flow is not None else ""
            return
        self.question, self.case_line, self.words = view.question, view.case_line, view.words
        self.choices = [{"value": value, "text": label} for value, label in view.choices]
        self.message = view.message

    def set_words(self, text: str) -> None:
        self.ctx.followup.set_words(text)
        self.words = self.ctx.followup.words

    def open_keyboard(self) -> None:
        open_typing(self.words, self.set_words)

    def answer(self, value: str) -> None:
        if self.guard(self.ctx.followup.answer, value) is not None:
            if self.back_to == "checkin" and self.ctx.checkin is not None:  # the thanks under the check-in
                self.ctx.checkin.message = self.ctx.followup.message
            back, self.back_to = self.back_to, "checkin"
            self.app.refresh_now()
            self.app.go(back)
            self.app.screen(back).message = self.ctx.followup.message if back != "checkin" else ""

    def later(self) -> None:
        self.ctx.followup.later()
        back, self.back_to = self.back_to, "checkin"
        self.app.go(back)
