"""How a phone gets a person's attention when a task arrives or changes: a short tone on every platform, a
vibration where plyer has one, and a system notification where there is one. (The in-app banner is the task
presenter's; see ``TaskFlow.banner``.)

Each piece of hardware sits behind a provider with a real and a simulated implementation, so the task presenter
never asks "am I on Android?" and tests and headless runs use recorders that note what they were asked to do:

- sound: :class:`RecordingSound` here; the real one, ``terminal.app.ui.sound.KivySound``, plays the tone shipped
  with the app (``terminal/app/assets/task_tone.wav``) through Kivy's SoundLoader;
- vibration: :class:`PlyerVibration` (Android/iOS) or :class:`RecordingVibration`;
- notification: :class:`PlyerNotifier` or none.
"""
from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

log = logging.getLogger(__name__)

VIBRATE_S = 0.6


def tone_path() -> Path:
    """The alert tone shipped with the app (a 0.35 s two-note chime, 16-bit mono WAV)."""
    return Path(str(files("terminal.app").joinpath("assets", "task_tone.wav")))


class Alerter(abc.ABC):
    @abc.abstractmethod
    def alert(self, title: str, message: str) -> None:
        """Best effort and quick: called from the UI thread, must never raise."""


class SilentAlerter(Alerter):
    """No sound or vibration hardware at all: keeps a log of alerts instead."""

    def __init__(self) -> None:
        self.alerts: list[tuple[str, str]] = []

    def alert(self, title: str, message: str) -> None:
        self.alerts.append((title, message))


# --- providers ----------------------------------------------------------------------------------------------
class SoundProvider(abc.ABC):
    @abc.abstractmethod
    def play(self) -> bool:
        """Start the tone; False if there is nothing to play it on. Must not block or raise."""


class RecordingSound(SoundProvider):
    """Simulated: counts the tones it was asked to play (tests, headless kiosks, CI)."""

    def __init__(self) -> None:
        self.played = 0

    def play(self) -> bool:
        self.played += 1
        return True


class VibrationProvider(abc.ABC):
    @abc.abstractmethod
    def vibrate(self, seconds: float) -> bool:
        """False where the device cannot vibrate. Must not block or raise."""


class RecordingVibration(VibrationProvider):
    def __init__(self) -> None:
        self.vibrations: list[float] = []

    def vibrate(self, seconds: float) -> bool:
        self.vibrations.append(seconds)
        return True


class PlyerVibration(VibrationProvider):
    """Android/iOS through plyer; raises ImportError at construction where plyer is not installed."""

    def __init__(self) -> None:
        from plyer import vibrator

        self._vibrator = vibrator

    def vibrate(self, seconds: float) -> bool:
        try:
            self._vibrator.vibrate(seconds)
        except Exception as exc:  # noqa: BLE001 - NotImplementedError on desktops, permission errors on phones
            log.info("vibration unavailable: %s", exc)
            return False
        return True


class PlyerNotifier:
    def __init__(self) -> None:
        from plyer import notification

        self._notification = notification

    def notify(self, title: str, message: str) -> None:
        try:
            self._notification.notify(title=title, message=message, timeout=5)
        except Exception as exc:  # noqa: BLE001 - no notification service (desktop without D-Bus, CI)
            log.info("system notification unavailable: %s", exc)


class TaskAlerter(Alerter):
    """Tone + vibration (+ system notification where there is one); remembers what it was asked, for the screen."""

    def __init__(self, sound: SoundProvider, vibration: VibrationProvider | None = None,
                 notifier: PlyerNotifier | None = None, vibrate_s: float = VIBRATE_S):
        self.sound, self.vibration, self.notifier, self.vibrate_s = sound, vibration, notifier, vibrate_s
        self.alerts: list[tuple[str, str]] = []

    def alert(self, title: str, message: str) -> None:
        self.alerts.append((title, message))
        hooks: list[Callable[[], object]] = [self.sound.play]
        if self.vibration is not None:
            hooks.append(lambda: self.vibration.vibrate(self.vibrate_s) if self.vibration else None)
        if self.notifier is not None:
            hooks.append(lambda: self.notifier.notify(title, message) if self.notifier else None)
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 - an alert never takes the app down
                log.warning("alert hook failed: %s", exc)


def platform_alerter(sound: SoundProvider | None = None) -> TaskAlerter:
    """The real providers where they exist, recorders elsewhere. ``sound``: the app passes the Kivy one."""
    vibration: VibrationProvider
    try:
        vibration = PlyerVibration()
    except ImportError:
        vibration = RecordingVibration()
    try:
        notifier: PlyerNotifier | None = PlyerNotifier()
    except ImportError:
        notifier = None
    return TaskAlerter(sound or RecordingSound(), vibration, notifier)
