"""Deliberation (kiosk): the topics the hub sent, one opened with its background, approved comments and vote
buttons; the resident taps the card (camera) or types its number, votes, comments; the hub's answer shows on the
1 s tick. The topic's first image shows large with the count of its images, or a placeholder while it is fetched in
the background (its arrival refreshes the screen through the app's ``@mainthread`` refresh)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import cv2
import numpy as np
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from protocol.deliberation import MAX_COMMENT_CHARS
from terminal.app.ui.keypad import open_typing
from terminal.app.ui.scanning import ScanToggle
from terminal.app.ui.widgets import GridlineScreen
from terminal.camera.qr import MAX_CARD_CHARS


class DeliberationScreen(ScanToggle, GridlineScreen):
    title = StringProperty("")
    period = StringProperty("")
    background = StringProperty("")
    vote_line = StringProperty("")
    comments_title = StringProperty("")
    comments = StringProperty("")
    result = StringProperty("")
    card_line = StringProperty("")
    has_topic = BooleanProperty(False)
    scanning = BooleanProperty(False)
    images_line = StringProperty("")  # the count of images: empty when the topic has none (the image box folds away)
    image_text = StringProperty("")  # the placeholder instead of the image
    has_image = BooleanProperty(False)
    _shown: Path | None = None  # the image file on screen (decoded once, not on every refresh)

    def refresh(self) -> None:
        flow = self.ctx.deliberation
        lines = flow.topics()
        if flow.topic_id is None and lines:
            flow.open(lines[0].topic_id)
        box = self.ids.topic_list
        box.clear_widgets()
        for line in lines:
            button = Factory.TopicButton(text=f"{line.title}\n{line.status}")
            button.selected = line.topic_id == flow.topic_id  # a kv-declared property: set after construction
            button.bind(on_release=partial(self._open, line.topic_id))
            box.add_widget(button)
        view = flow.view()
        self.has_topic = view is not None
        options = self.ids.options
        options.clear_widgets()
        if view is None:
            self.title = self.t("delib.none")
            self.background = self.t("delib.none_hint")  # what this screen is for, before any topic has come
            self.period = self.vote_line = self.comments = self.result = self.card_line = self.comments_title = ""
            self.images_line = self.image_text = ""
            self.has_image = False
            return
        self.title, self.period, self.background = view.title, view.period, view.background
        self.images_line = view.images_line
        self._show_image(view.image, view.image_text)
        self.vote_line = view.vote_line
        self.comments_title = view.comments_title
        self.comments = "\n".join(view.comments) or self.t("delib.no_comments")
        self.result = "\n".join(view.result_lines)
        self.card_line = view.card_line
        if view.message:
            self.message = view.message
        for key, label in view.options:
            button = Factory.VoteButton(text=label)
            button.bind(on_release=partial(self._vote, key))
            options.add_widget(button)

    def _show_image(self, path: Path | None, placeholder: str) -> None:
        if path is not None and path != self._shown:
            try:
                frame = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
            except OSError:
                frame = None
            if frame is None:  # not a picture after all: the placeholder, never a crash
                path, placeholder = None, self.t("delib.image_unavailable")
            else:
                self.ids.topic_image.show_frame(frame, long_side=1280)
        self._shown = path
        self.has_image = path is not None
        self.image_text = "" if path is not None else placeholder

    def _open(self, topic_id: str, *_: object) -> None:
        self.ctx.deliberation.open(topic_id)
        self.message = ""
        self.refresh()

    def _vote(self, key: str, *_: object) -> None:
        self.guard(self.ctx.deliberation.vote, key)

    def tick(self) -> None:
        if self.ctx.deliberation.poll():
            self.refresh()  # the hub's answer to the vote came by downlink

    def type_card(self) -> None:
        open_typing("", self._card_typed, max_len=MAX_CARD_CHARS)

    def _card_typed(self, text: str) -> None:
        self.guard(self.ctx.deliberation.use_card, text)

    def write_comment(self) -> None:
        open_typing(self.ctx.deliberation.comment_text, self._comment_typed, max_len=MAX_COMMENT_CHARS)

    def _comment_typed(self, text: str) -> None:
        self.ctx.deliberation.set_comment(text)
        self.guard(self.ctx.deliberation.comment)

    def scan_once(self) -> bool:
        return bool(self.guard(self.ctx.deliberation.scan))

    def on_leave(self, *_: object) -> None:
        self.stop_scan()
        self.ctx.deliberation.reset()  # the next resident starts without this one's card

    def leave(self) -> None:
        self.app.go("home")
