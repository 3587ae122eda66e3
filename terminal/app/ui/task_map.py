"""The phone's task widgets: the offline map (canvas instructions only: grid outline, pin, own fix, north and a
scale bar; no tiles, no network) and a photo thumbnail that opens the full photo on a touch.

What to draw comes from the presenter (:class:`terminal.app.presenters.taskmap.MapView`, metres around the pin);
these widgets only scale it to their size.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, Rectangle, Triangle
from kivy.metrics import dp
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from terminal.app.presenters.taskmap import MapView, scale_bar_m
from terminal.app.ui.widgets import CameraView

PIN = (0.90, 0.22, 0.18, 1)
ME = (0.25, 0.62, 1.0, 1)
OUTLINE = (0.55, 0.85, 0.55, 1)


def _text(text: str, size: float, color: tuple[float, ...] = (0.9, 0.9, 0.9, 1)) -> Any:
    label = CoreLabel(text=text, font_size=size, color=color)
    label.refresh()
    return label.texture


class TaskMap(Widget):
    """``view``: the presenter's MapView (None: no place); ``unit_m`` / ``unit_km``: the catalogue's templates."""

    view = ObjectProperty(None, allownone=True)
    unit_m = StringProperty("{n} m")
    unit_km = StringProperty("{n} km")
    me_text = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, view=self.redraw, unit_m=self.redraw, me_text=self.redraw)

    def redraw(self, *_: object) -> None:
        self.canvas.clear()
        with self.canvas:
            Color(0.12, 0.15, 0.20, 1)
            Rectangle(pos=self.pos, size=self.size)
        view: MapView | None = self.view
        if view is None or self.width < 10 or self.height < 10:
            return
        scale, px, py = view.fit(self.width, self.height)
        ox, oy = self.x + px, self.y + py

        def at(point: tuple[float, float]) -> tuple[float, float]:
            return ox + point[0] * scale, oy + point[1] * scale

        with self.canvas:
            if view.outline:  # the grid, shaded and outlined
                Color(0.20, 0.32, 0.22, 1)
                xs, ys = zip(*(at(p) for p in view.outline), strict=True)
                Rectangle(pos=(min(xs), min(ys)), size=(max(xs) - min(xs), max(ys) - min(ys)))
                Color(*OUTLINE)
                Line(points=[c for p in view.outline for c in at(p)], width=dp(1.5))
            Color(PIN[0], PIN[1], PIN[2], 0.25)  # the reported place's accuracy
            r = max(dp(6), view.pin_accuracy_m * scale)
            Ellipse(pos=(ox - r, oy - r), size=(2 * r, 2 * r))
            if view.me is not None:
                mx, my = at(view.me)
                Color(ME[0], ME[1], ME[2], 0.25)
                r = max(dp(5), view.me_accuracy_m * scale)
                Ellipse(pos=(mx - r, my - r), size=(2 * r, 2 * r))
                Color(ME[0], ME[1], ME[2], 0.6)
                Line(points=[mx, my, ox, oy], width=dp(1), dash_length=dp(4), dash_offset=dp(4))
                Color(1, 1, 1, 1)
                Ellipse(pos=(mx - dp(7), my - dp(7)), size=(dp(14), dp(14)))
                Color(*ME)
                Ellipse(pos=(mx - dp(5), my - dp(5)), size=(dp(10), dp(10)))
                if self.me_text:
                    texture = _text(self.me_text, dp(12), ME)
                    Color(1, 1, 1, 1)
                    Rectangle(texture=texture, pos=(mx + dp(9), my - texture.height / 2), size=texture.size)
            # the pin: a drop with its point on the place
            Color(*PIN)
            Triangle(points=[ox, oy, ox - dp(8), oy + dp(16), ox + dp(8), oy + dp(16)])
            Ellipse(pos=(ox - dp(9), oy + dp(12)), size=(dp(18), dp(18)))
            Color(1, 1, 1, 1)
            Ellipse(pos=(ox - dp(4), oy + dp(17)), size=(dp(8), dp(8)))
            self._north_and_scale(scale)

    def _north_and_scale(self, scale: float) -> None:
        right, top = self.right - dp(16), self.top - dp(10)
        Color(0.9, 0.9, 0.9, 1)
        Triangle(points=[right, top, right - dp(7), top - dp(16), right + dp(7), top - dp(16)])
        north = _text("N", dp(12))
        Rectangle(texture=north, pos=(right - north.width / 2, top - dp(18) - north.height), size=north.size)
        metres = scale_bar_m(scale, self.width)
        length = metres * scale
        x0, y0 = self.x + dp(12), self.y + dp(12)
        Line(points=[x0, y0 + dp(5), x0, y0, x0 + length, y0, x0 + length, y0 + dp(5)], width=dp(1.3))
        words = self.unit_km.format(n=f"{metres / 1000:g}") if metres >= 1000 else self.unit_m.format(n=metres)
        label = _text(words, dp(11))
        Rectangle(texture=label, pos=(x0 + length + dp(6), y0 - dp(3)), size=label.size)


class PhotoThumb(ButtonBehavior, BoxLayout):
    """One labelled thumbnail; ``on_open(sha256)`` on a touch."""

    sha256 = StringProperty("")
    label = StringProperty("")
    status = StringProperty("")
    on_open: Callable[[str], None] | None = None

    def __init__(self, jpeg: bytes | None, **kwargs: Any):
        super().__init__(orientation="vertical", size_hint=(None, 1), width=dp(128), spacing=dp(2), **kwargs)
        image = CameraView(fit_mode="contain")
        if jpeg:
            try:
                image.show_jpeg(jpeg)
            except ValueError:
                jpeg = None
        if not jpeg:
            image.color = (0.3, 0.33, 0.4, 1)  # a grey placeholder: the photo has not reached the hub yet
        self.add_widget(image)
        for text, bold in ((self.label, True), (self.status, False)):
            self.add_widget(Label(text=text, bold=bold, font_size=dp(12), size_hint_y=None, height=dp(16),
                                  color=(0.85, 0.85, 0.85, 1) if bold else (0.65, 0.75, 0.9, 1)))

    def on_release(self) -> None:
        if self.on_open is not None:
            self.on_open(self.sha256)


class PhotoOverlay(BoxLayout):
    """The full photo over the task screen: while shown, it takes every touch (none reaches the buttons below)."""

    def on_touch_down(self, touch: Any) -> bool:
        if self.opacity == 0 or not self.collide_point(*touch.pos):
            return False
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        return bool(self.opacity and self.collide_point(*touch.pos)) or super().on_touch_move(touch)

    def on_touch_up(self, touch: Any) -> bool:
        handled = super().on_touch_up(touch)
        return bool(self.opacity and self.collide_point(*touch.pos)) or bool(handled)
