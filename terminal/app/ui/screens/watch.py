"""The helper's 1+1+N watch list on the phone: today's residents, the signs seen and one tap for safe or wrong. The
presenter (terminal/app/presenters/watch.py) holds the list and records the observations."""
from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from terminal.app.ui.widgets import GridlineScreen


class WatchRowView(BoxLayout):
    resident_key = StringProperty("")
    label = StringProperty("")
    times = StringProperty("")
    state = StringProperty("todo")
    state_text = StringProperty("")
    signs = ListProperty([])  # [(value, label, selected)] * 6
    done = BooleanProperty(False)


class WatchScreen(GridlineScreen):
    summary = StringProperty("")

    def refresh(self) -> None:
        flow = self.ctx.watch
        if flow is None:
            return
        self.summary = flow.summary()
        if flow.message:
            self.message = flow.message
        box = self.ids.rows
        box.clear_widgets()
        for row in flow.rows():
            box.add_widget(WatchRowView(resident_key=row.resident_key, label=row.label, times=row.times,
                                        state=row.state, state_text=row.state_text,
                                        signs=[list(s) for s in row.signs], done=row.state != "todo"))

    def toggle(self, resident_key: str, sign: str) -> None:
        self.guard(self.ctx.watch.toggle_sign, resident_key, sign)

    def observe(self, resident_key: str, verdict: str) -> None:
        self.guard(self.ctx.watch.observe, resident_key, verdict)

    def back(self) -> None:
        self.app.go("home")
