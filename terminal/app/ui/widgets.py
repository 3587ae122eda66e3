"""Widgets shared by the screens: the sync status bar, the camera preview, the pick-on-map grid, a base screen."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import cv2
import numpy as np
from kivy.app import App
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.screenmanager import Screen
from kivy.uix.togglebutton import ToggleButton

from terminal.app.presenters.common import FlowRefused

if TYPE_CHECKING:
    from terminal.app.presenters.sync_status import StatusView

_Result = TypeVar("_Result")


class StatusBar(BoxLayout):
    online = BooleanProperty(False)
    connection = StringProperty("")
    detail = StringProperty("")
    uploading = BooleanProperty(False)
    progress = NumericProperty(1.0)
    progress_text = StringProperty("")

    def show(self, view: StatusView) -> None:
        self.online, self.connection = view.online, view.connection
        self.detail = f"{view.waiting} · {view.last_sync}"
        self.uploading, self.progress, self.progress_text = view.uploading, view.progress, view.progress_text


class CameraView(Image):
    """Shows BGR frames; converts on the UI thread (textures belong to the GL context)."""

    texture: Texture | None  # Image's ObjectProperty, declared for mypy (Kivy ships no type information)

    def show_frame(self, frame: np.ndarray, long_side: int = 640) -> None:
        h, w = frame.shape[:2]
        scale = min(1.0, long_side / max(h, w))
        if scale < 1:
            frame = cv2.resize(frame, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = frame.shape[:2]
        if self.texture is None or tuple(self.texture.size) != (w, h):
            self.texture = Texture.create(size=(w, h), colorfmt="rgb")
        # GL's origin is bottom-left: flip rows; OpenCV's BGR goes in as such.
        self.texture.blit_buffer(np.ascontiguousarray(frame[::-1]).tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.canvas.ask_update()

    def show_jpeg(self, jpeg: bytes) -> None:
        frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise ValueError("not a decodable image")
        self.show_frame(frame)


class MapCell(ToggleButton):
    row = NumericProperty(0)
    col = NumericProperty(0)
    home = BooleanProperty(False)  # the device's own position falls in this cell


class GridMapView(GridLayout):
    """The grid's bounding box as rows x cols touch cells; ``on_pick`` gets (row, col)."""

    grid_map = ObjectProperty(None, allownone=True)
    home_cell = ListProperty([])
    on_pick = ObjectProperty(None, allownone=True)
    labels = ListProperty([])  # a name per cell, row by row ("A1" ...); the home cell adds a ●

    def _cell_text(self, row: int, col: int, home: bool) -> str:
        index = row * self.cols + col if self.cols else -1
        name = self.labels[index] if 0 <= index < len(self.labels) else ""
        return f"{name} ●".strip() if home else name

    def on_labels(self, *_: object) -> None:
        self.on_home_cell()

    def on_grid_map(self, *_: object) -> None:
        self.clear_widgets()
        if self.grid_map is None:
            return
        self.rows, self.cols = self.grid_map.rows, self.grid_map.cols
        for row in range(self.grid_map.rows):
            for col in range(self.grid_map.cols):
                cell = MapCell(row=row, col=col, group=f"map-{id(self)}", home=[row, col] == list(self.home_cell),
                               text=self._cell_text(row, col, [row, col] == list(self.home_cell)))
                cell.bind(on_release=self._picked)
                self.add_widget(cell)

    def on_home_cell(self, *_: object) -> None:
        for cell in self.children:
            cell.home = [cell.row, cell.col] == list(self.home_cell)
            cell.text = self._cell_text(cell.row, cell.col, cell.home)

    def _picked(self, cell: MapCell) -> None:
        if self.on_pick is not None and cell.state == "down":
            self.on_pick(cell.row, cell.col)

    def clear_pick(self) -> None:
        for cell in self.children:
            cell.state = "normal"


class GridlineScreen(Screen):
    """Base: ``refresh`` pulls the presenter's view into properties; ``guard`` turns refusals into the message."""

    message = StringProperty("")

    @property
    def app(self):
        return App.get_running_app()

    @property
    def ctx(self):
        return self.app.ctx

    def t(self, key: str, **values: object) -> str:
        return self.ctx.tr.t(key, **values)

    def on_pre_enter(self, *_: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Override: copy the presenter's state into this screen's properties."""

    def guard(self, action: Callable[..., _Result], *args: Any, **kwargs: Any) -> _Result | None:
        try:
            result = action(*args, **kwargs)
        except FlowRefused as refused:
            self.message = refused.text(self.ctx.tr)
            return None
        self.refresh()
        return result
