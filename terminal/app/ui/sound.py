"""The real sound provider: the task tone played through Kivy's SoundLoader (SDL2 / GStreamer / Android's player,
whichever Kivy has). Where Kivy has no audio provider at all, ``play`` says so (False) and the banner and vibration
still tell the person.

``make_tone_wav`` is how ``terminal/app/assets/task_tone.wav`` was made (tests/terminal/app checks the shipped file
is exactly this): two short sine notes (E6 then A6) with soft edges, 0.35 s, 22.05 kHz 16-bit mono, ~15 KiB.
"""
from __future__ import annotations

import io
import logging
import math
import struct
import wave
from pathlib import Path
from typing import Any

from terminal.app.alerts import SoundProvider, tone_path

log = logging.getLogger(__name__)

RATE = 22_050
NOTES = ((1318.5, 0.16), (1760.0, 0.19))  # Hz, seconds


def make_tone_wav(volume: float = 0.45) -> bytes:
    frames = bytearray()
    for freq, seconds in NOTES:
        n = int(RATE * seconds)
        edge = int(RATE * 0.012)
        for i in range(n):
            envelope = min(1.0, i / edge, (n - i) / edge) * math.exp(-2.5 * i / n)
            frames += struct.pack("<h", int(32767 * volume * envelope * math.sin(2 * math.pi * freq * i / RATE)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


class KivySound(SoundProvider):
    def __init__(self, path: Path | None = None):
        from kivy.core.audio import SoundLoader

        self.path = path or tone_path()
        self._sound: Any = SoundLoader.load(str(self.path))
        self.played = 0  # tones started (the tests read it)
        if self._sound is None:
            log.info("no Kivy audio provider can play %s: alerts are silent on this machine", self.path)

    @property
    def available(self) -> bool:
        return self._sound is not None

    def play(self) -> bool:
        if self._sound is None:
            return False
        try:
            self._sound.stop()
            self._sound.play()
        except Exception as exc:  # noqa: BLE001 - an audio device that went away
            log.info("playing the task tone failed: %s", exc)
            return False
        self.played += 1
        return True
