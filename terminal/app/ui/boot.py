"""Kivy must be configured before its first import: environment, window size, fullscreen, the CJK font.

Kept free of kivy imports at module level so the CLI can call :func:`prepare_kivy` first.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

# Window sizes per profile: a 21.5" landscape kiosk, a 10" tablet, a phone in portrait (dp-ish).
WINDOW_SIZES = {"kiosk": (1920, 1080), "tablet": (1280, 800), "phone": (540, 960)}

# Fonts that draw Chinese, in order of preference: Debian/Ubuntu packages, Android, macOS, Windows.
CJK_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/system/fonts/DroidSansFallback.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]


class FontMissing(RuntimeError):
    pass


def find_cjk_font(preferred: Path | str | None = None) -> Path:
    for candidate in ([preferred] if preferred else []) + CJK_FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("no font that draws Chinese was found; install fonts-wqy-microhei or set 'font' in the config "
                      f"(looked for: {', '.join(CJK_FONT_CANDIDATES)})")


def prepare_kivy(profile: str, *, offscreen: bool = False, fullscreen: bool = False,
                 size: tuple[int, int] | None = None) -> None:
    """Environment and kivy.config before any window exists. Safe to call once per process."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argparse owns the command line
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # kivy logs through logging and leaves stderr alone
    os.environ.setdefault("KIVY_HOME", str(Path(tempfile.gettempdir()) / "gridline-kivy"))
    # The clipboard through SDL2 (no xclip/xsel: kiosks and tablets have no X tools, and Android has none).
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config

    quiet_cutbuffer()

    width, height = size or WINDOW_SIZES[profile]
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    Config.set("kivy", "exit_on_escape", "0" if profile == "kiosk" else "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "log_level", "warning")
    logging.getLogger("kivy").setLevel(logging.WARNING)  # its level was read from its ini at import


class _NoCutbufferNotice(logging.Filter):
    """Drops kivy's one "Cutbuffer: Unable to find any valuable Cutbuffer provider" record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Cutbuffer:")


def quiet_cutbuffer() -> None:
    """On Linux every TextInput makes kivy look for an X cut buffer (middle-click paste of the X selection)
    through the xclip/xsel programs, whatever clipboard was chosen, and log a CRITICAL with tracebacks when
    neither is installed. A touch terminal has no middle button: no provider is tried (no subprocesses), and the
    empty search's notice is dropped. Needs ``kivy`` imported (its options), not yet ``kivy.core.clipboard``."""
    import kivy

    kivy.kivy_options["cutbuffer"] = ()
    logger = logging.getLogger("kivy")
    if not any(isinstance(f, _NoCutbufferNotice) for f in logger.filters):
        logger.addFilter(_NoCutbufferNotice())


def register_cjk_font(preferred: Path | str | None = None) -> Path:
    """Make the CJK font kivy's default for every Label/Button/TextInput (Roboto draws empty boxes for Chinese)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font(preferred)
    LabelBase.register(DEFAULT_FONT, str(path))
    return path
