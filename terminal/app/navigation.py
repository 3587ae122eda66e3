"""Handing a place to the system's navigation app: a ``geo:`` URI opened by whatever the platform has.

Behind a provider like sound and vibration: on Android an ``ACTION_VIEW`` intent (pyjnius, present in every
python-for-android build) lets the person pick Amap, Baidu Maps or any other app that handles ``geo:``; elsewhere
(desktop, CI) there is no such hand-off, ``open`` answers False and the screen shows the coordinates to type in.
"""
from __future__ import annotations

import abc
import logging
from typing import Any

log = logging.getLogger(__name__)


class Navigator(abc.ABC):
    @abc.abstractmethod
    def open(self, uri: str) -> bool:
        """True if an app was asked to show the place. Must not raise."""


class NoNavigator(Navigator):
    """Desktop and headless: records the URIs it could not hand over."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def open(self, uri: str) -> bool:
        self.asked.append(uri)
        return False


class AndroidNavigator(Navigator):
    """Raises ImportError at construction off Android (no pyjnius / no Android activity)."""

    def __init__(self) -> None:
        from jnius import autoclass

        self._intent: Any = autoclass("android.content.Intent")
        self._uri: Any = autoclass("android.net.Uri")
        self._activity: Any = autoclass("org.kivy.android.PythonActivity").mActivity

    def open(self, uri: str) -> bool:
        try:
            intent = self._intent(self._intent.ACTION_VIEW, self._uri.parse(uri))
            self._activity.startActivity(intent)
        except Exception as exc:  # noqa: BLE001 - ActivityNotFoundException: no app handles geo:
            log.info("no navigation app took %s: %s", uri, exc)
            return False
        return True


def platform_navigator() -> Navigator:
    try:
        return AndroidNavigator()
    except Exception:  # noqa: BLE001 - ImportError off Android; JavaException without an activity
        return NoNavigator()
