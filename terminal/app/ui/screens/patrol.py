"""The tablet's home: patrol start/stop (with confirmation), live time and distance, the walked-track map, hazard
report, last summary. Draws what :class:`terminal.app.presenters.patrol.PatrolFlow` says; decides nothing."""
from __future__ import annotations

from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.metrics import dp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from terminal.app.ui.widgets import GridlineScreen

OUTLINE = (0.55, 0.75, 1.0, 1)
TRACK = (1.0, 0.62, 0.15, 1)
HERE = (0.35, 1.0, 0.45, 1)
START = (1.0, 1.0, 1.0, 1)


class TrackMapView(Widget):
    """The grid outline and the walked line on a plain background (no tiles: works offline)."""

    hint = StringProperty("")

    def __init__(self, **kwargs: object):
        super().__init__(**kwargs)
        self._hint = Label(halign="center", valign="middle", color=(0.8, 0.8, 0.8, 1))
        self.add_widget(self._hint)
        self.bind(pos=self._layout, size=self._layout, hint=self._layout)

    def _layout(self, *_: object) -> None:
        self._hint.pos, self._hint.size = self.pos, self.size
        self._hint.text_size = (self.width * 0.8, None)
        self._hint.text = self.hint

    def show(self, drawing) -> None:  # a presenters.trackmap.TrackDrawing
        x0, y0 = self.x, self.y

        def moved(points: list[float]) -> list[float]:
            return [v + (x0 if i % 2 == 0 else y0) for i, v in enumerate(points)]

        self.canvas.before.clear()
        with self.canvas.before:
            Color(0.13, 0.16, 0.21, 1)
            Rectangle(pos=self.pos, size=self.size)
            if drawing.outline:
                Color(0.55, 0.75, 1.0, 0.12)
                Line(points=moved(drawing.outline), width=dp(1), close=True)
                Color(*OUTLINE)
                Line(points=moved(drawing.outline), width=dp(2), close=True)
            if len(drawing.track) >= 4:
                Color(*TRACK)
                Line(points=moved(drawing.track), width=dp(3), joint="round", cap="round")
            r = dp(7)
            for point, colour in ((drawing.start, START), (drawing.here, HERE)):
                if point is not None:
                    Color(*colour)
                    Ellipse(pos=(x0 + point[0] - r, y0 + point[1] - r), size=(2 * r, 2 * r))


class PatrolScreen(GridlineScreen):
    running = BooleanProperty(False)
    confirming = BooleanProperty(False)
    headline = StringProperty("")
    fixes = StringProperty("")
    summary = StringProperty("")
    confirm_text = StringProperty("")
    map_hint = StringProperty("")

    def refresh(self) -> None:
        view = self.ctx.patrol.view()
        self.running, self.headline, self.fixes, self.summary = view.running, view.headline, view.fixes, view.summary
        self.confirming, self.confirm_text, self.map_hint = view.confirming, view.confirm_text, view.map_hint
        track_map = self.ids.get("track_map")
        if track_map is not None and track_map.width > 1:
            track_map.show(self.ctx.patrol.drawing(track_map.width, track_map.height))

    def tick(self) -> None:
        if self.ctx.patrol.poll():
            self.app.refresh_now()
        self.refresh()

    def toggle(self) -> None:
        """Start at once; ending asks first (:meth:`confirm_stop` / :meth:`keep_going`)."""
        self.message = ""
        self.guard(self.ctx.patrol.ask_stop if self.ctx.patrol.running else self.ctx.patrol.start)

    def confirm_stop(self) -> None:
        self.guard(self.ctx.patrol.stop)

    def keep_going(self) -> None:
        self.guard(self.ctx.patrol.keep_going)

    def hazard(self) -> None:
        if self.ctx.report.position() is None:
            self.message = self.t("patrol.needs_fix")
            return
        self.app.go("report")
