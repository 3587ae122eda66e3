"""On-screen input widgets for the kiosk (no physical keyboard): a key pad, a row of common phrases, and a
typing panel around Kivy's VKeyboard. The keys and what a press does live in ``presenters/keypad.py``."""
from __future__ import annotations

from collections.abc import Callable

from kivy.factory import Factory
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.modalview import ModalView
from kivy.uix.stacklayout import StackLayout

from terminal.app.presenters.keypad import add_phrase, press


class PadKey(Button):
    key = StringProperty("")


class KeyPad(GridLayout):
    """Big keys; ``on_press_key(key)`` gets each press (a character, or presenters.keypad.DELETE / CLEAR)."""

    keys = ListProperty([])
    labels = ListProperty([])  # what each key shows (DELETE and CLEAR in words)
    on_press_key = ObjectProperty(None, allownone=True)

    def on_keys(self, *_: object) -> None:
        self._build()

    def on_labels(self, *_: object) -> None:
        for button in self.children:  # same keys, words in another language: relabel, do not rebuild
            index = self.keys.index(button.key) if button.key in self.keys else -1
            if 0 <= index < len(self.labels):
                button.text = self.labels[index]

    def _build(self) -> None:
        self.clear_widgets()
        for i, key in enumerate(self.keys):
            label = self.labels[i] if i < len(self.labels) else key
            self.add_widget(PadKey(key=key, text=label, on_release=lambda b: self.pressed(b.key)))

    def pressed(self, key: str) -> None:
        if self.on_press_key is not None:
            self.on_press_key(key)


class PhraseBar(StackLayout):
    """Common phrases: ``phrases`` are (key, text) pairs; a touch calls ``on_phrase(text)``."""

    phrases = ListProperty([])
    on_phrase = ObjectProperty(None, allownone=True)

    def on_phrases(self, *_: object) -> None:
        self.clear_widgets()
        for phrase in self.phrases:
            self.add_widget(Factory.PhraseButton(text=phrase["text"], on_release=lambda b: self.chosen(b.text)))

    def chosen(self, text: str) -> None:
        if self.on_phrase is not None:
            self.on_phrase(text)


class TypingPanel(ModalView):
    """Latin letters and digits through Kivy's VKeyboard, plus the common phrases; OK hands the text back."""

    text = StringProperty("")
    max_len = NumericProperty(200)
    phrases = ListProperty([])
    on_done: Callable[[str], None] | None = None

    def on_kv_post(self, *_: object) -> None:
        self.ids.vkeyboard.bind(on_textinput=self._typed, on_key_up=self._key_up)
        self.ids.phrases.on_phrase = self.add_phrase

    def _typed(self, _keyboard: object, text: str) -> None:
        for char in text:
            self.text = press(self.text, char, max_len=int(self.max_len))

    def _key_up(self, _keyboard: object, keycode: object, *_args: object) -> None:
        name = keycode[1] if isinstance(keycode, tuple) else keycode
        if name == "backspace":
            self.text = self.text[:-1]
        elif name == "enter":
            self.finish()

    def add_phrase(self, phrase: str) -> None:
        self.text = add_phrase(self.text, phrase, max_len=int(self.max_len))

    def finish(self) -> None:
        if self.on_done is not None:
            self.on_done(self.text)
        self.dismiss()


def open_typing(text: str, on_done: Callable[[str], None], *, phrases: list[dict[str, str]] | None = None,
                max_len: int = 200) -> TypingPanel:
    panel = TypingPanel(text=text, max_len=max_len, phrases=phrases or [])
    panel.on_done = on_done
    panel.open()
    return panel
