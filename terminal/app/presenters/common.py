"""Small pieces every presenter uses: the refusal a screen shows, and human formatting of time and distance."""
from __future__ import annotations

from datetime import datetime

from terminal.app.i18n import Translator
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera import CameraError
from terminal.camera.qr import scan_resident_key


class FlowRefused(ValueError):
    """The person cannot do that yet; ``key`` is the catalogue entry explaining why (shown, never raised past a
    screen)."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key, self.values = key, values

    def text(self, tr: Translator) -> str:
        return tr.t(self.key, **self.values)


def format_duration(tr: Translator, seconds: float) -> str:
    total = int(round(max(0.0, seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return tr.t("unit.hms", h=h, m=m, s=s) if h else tr.t("unit.ms", m=m, s=s)


def format_distance(tr: Translator, metres: float) -> str:
    if metres >= 1000:
        return tr.t("unit.km", n=f"{metres / 1000:.2f}")
    return tr.t("unit.m", n=int(round(metres)))


def format_ago(tr: Translator, then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return tr.t("sync.seconds_ago", n=seconds)
    if seconds < 3600:
        return tr.t("sync.minutes_ago", n=seconds // 60)
    if seconds < 86400:
        return tr.t("sync.hours_ago", n=seconds // 3600)
    return tr.t("sync.days_ago", n=seconds // 86400)


def local_time(moment: datetime) -> str:
    """Terminals show China Standard Time (UTC+8, no DST) whatever the device's zone setting."""
    from datetime import timedelta, timezone

    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%m-%d %H:%M")


def read_card(photos: PhotoTaker, deployment_key: str | bytes, tr: Translator, *, none_key: str,
              ok_key: str) -> tuple[str | None, str]:
    """One look through the camera for a resident card's QR: (its keyed hash or None, the message to show)."""
    try:
        key = scan_resident_key(photos.frame(), deployment_key)
    except CameraError as exc:
        return None, tr.t("report.no_camera", error=exc)
    return key, tr.t(ok_key if key is not None else none_key)
