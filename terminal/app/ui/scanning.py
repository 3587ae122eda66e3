"""Looking through the camera a few times a second while a screen waits for a QR (a resident card, a receipt): the
toggle the lookup and deliberation screens share. A screen mixing it in has a ``scanning`` BooleanProperty and
``scan_once()``, which returns True when what it looked for was found; the screen is refreshed after each look."""
from __future__ import annotations

from typing import Any

from kivy.clock import Clock

SCAN_PERIOD_S = 0.5  # QR decoding costs ~20-60 ms a frame; two looks a second feel instant


class ScanToggle:
    scanning: Any
    _scan_event: Any = None
    refresh: Any  # GridlineScreen's

    def scan_once(self) -> bool:
        raise NotImplementedError

    def toggle_scan(self) -> None:
        if self.scanning:
            self.stop_scan()
            return
        self.scanning = True
        self._scan_event = Clock.schedule_interval(self._scan, SCAN_PERIOD_S)

    def stop_scan(self) -> None:
        self.scanning = False
        if self._scan_event is not None:
            self._scan_event.cancel()
            self._scan_event = None

    def _scan(self, _dt: float) -> None:
        if self.scan_once():
            self.stop_scan()
        self.refresh()
