"""How a phone gets a person's attention when a task arrives: vibrate and/or notify where the platform can.

Behind one interface so the task presenter never asks "am I on Android?"; desktops and CI get the silent
provider, which still records what it was asked to do (the screens show the new task either way).
"""
from __future__ import annotations

import abc
import logging

log = logging.getLogger(__name__)


class Alerter(abc.ABC):
    @abc.abstractmethod
    def alert(self, title: str, message: str) -> None:
        """Best effort and quick: called from the UI thread, must never raise."""


class SilentAlerter(Alerter):
    """No sound or vibration hardware (Linux kiosk, CI): keeps a log of alerts instead."""

    def __init__(self) -> None:
        self.alerts: list[tuple[str, str]] = []

    def alert(self, title: str, message: str) -> None:
        self.alerts.append((title, message))


class PlyerAlerter(Alerter):
    """Android/iOS: a short vibration and a system notification through plyer (optional dependency)."""

    def __init__(self, vibrate_s: float = 0.6):
        from plyer import notification, vibrator

        self._notification, self._vibrator, self.vibrate_s = notification, vibrator, vibrate_s

    def alert(self, title: str, message: str) -> None:
        for action in (lambda: self._vibrator.vibrate(self.vibrate_s),
                       lambda: self._notification.notify(title=title, message=message, timeout=5)):
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - NotImplementedError on desktops, permission errors on phones
                log.info("alert hook unavailable: %s", exc)


def platform_alerter() -> Alerter:
    try:
        return PlyerAlerter()
    except ImportError:
        return SilentAlerter()
