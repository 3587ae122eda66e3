"""Patrol (巡逻) on the tablet: start, a position sample every interval through the fix filter, hazards on the way,
stop with a summary that counts as volunteer hours.

Each kept fix becomes a durable PositionFix record (the hub rebuilds the track from them); the screen
calls :meth:`poll` every second or so and the interval is enforced here, by the injected clock.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, format_distance, format_duration
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.position import Fix, FixFilter, PatrolSession, PatrolSummary, PositionProvider

STARTED_SETTING = "app.patrol_started_at"


@dataclass(frozen=True)
class PatrolView:
    running: bool
    headline: str
    fixes: str
    summary: str  # the last finished patrol, or ""


class PatrolFlow:
    def __init__(self, device: Device, position: PositionProvider, tr: Translator, *, interval_s: float = 10.0,
                 clock: Clock = utc_now, fix_filter: Callable[[], FixFilter] = FixFilter):
        if interval_s <= 0:
            raise ValueError("patrol interval must be positive")
        self.device, self.provider, self.tr = device, position, tr
        self.interval_s, self.clock, self.fix_filter = interval_s, clock, fix_filter
        self.session: PatrolSession | None = None
        self.last_summary: PatrolSummary | None = None
        self._last_sample: datetime | None = None
        self._last_fix_time: datetime | None = None
        started = device.store.get_setting(STARTED_SETTING)
        if started:
            self._resume(datetime.fromisoformat(started))

    def _resume(self, started_at: datetime) -> None:
        """The app was closed (or the battery died) mid-patrol: carry on with the same start, so the volunteer's
        hours are not lost. The kept fixes are already durable records; the distance counts from here."""
        self.provider.start()
        self.session = PatrolSession(clock=self.clock, fix_filter=self.fix_filter(), on_accept=self._keep)
        self.session.started_at = started_at

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.active

    def start(self) -> None:
        if self.running:
            return
        self.provider.start()
        session = self.session = PatrolSession(clock=self.clock, fix_filter=self.fix_filter(), on_accept=self._keep)
        session.start()
        assert session.started_at is not None  # start() has just set it
        self.device.store.set_setting(STARTED_SETTING, session.started_at.isoformat())
        self._last_sample = self._last_fix_time = None
        self.poll(force=True)

    def _keep(self, fix: Fix) -> None:
        assert fix.accuracy_m is not None  # the session's FixFilter rejects fixes without an accuracy
        self.device.position(fix.lat, fix.lon, accuracy_m=fix.accuracy_m, speed_mps=fix.speed_mps,
                             heading_deg=fix.heading_deg)

    def poll(self, *, force: bool = False) -> bool:
        """Sample the provider if the interval has passed; True if a fix was kept."""
        session = self.session
        if session is None or not session.active:  # not self.running
            return False
        now = self.clock()
        if not force and self._last_sample is not None and (now - self._last_sample).total_seconds() < self.interval_s:
            return False
        self._last_sample = now
        fix = self.provider.latest()
        if fix is None or fix.timestamp == self._last_fix_time:
            return False  # no new fix from the receiver since the last sample
        self._last_fix_time = fix.timestamp
        return session.add_fix(fix).accepted

    def last_fix(self) -> Fix | None:
        """For a hazard report: the patrol's last kept fix (a filtered one, not a raw reading)."""
        return self.session.fixes[-1] if self.session and self.session.fixes else None

    def stop(self) -> PatrolSummary:
        session = self.session
        if session is None or not session.active:  # not self.running
            raise FlowRefused("patrol.idle")
        self.poll(force=True)
        self.last_summary = session.stop()
        self.device.store.set_setting(STARTED_SETTING, "")
        self.provider.stop()
        return self.last_summary

    def summary_text(self, summary: PatrolSummary) -> str:
        return self.tr.t("patrol.summary_text", duration=format_duration(self.tr, summary.duration_s),
                         distance=format_distance(self.tr, summary.distance_m), hours=f"{summary.volunteer_hours:.2f}")

    def view(self) -> PatrolView:
        summary = self.summary_text(self.last_summary) if self.last_summary else ""
        s = self.session
        if s is None or not s.active:  # not self.running
            return PatrolView(False, self.tr.t("patrol.idle"), "", summary)
        headline = self.tr.t("patrol.running", duration=format_duration(self.tr, s.duration_s),
                             distance=format_distance(self.tr, s.distance_m))
        fixes = self.tr.t("patrol.fixes", ok=len(s.fixes), bad=sum(s.rejected.values())) if s.fixes \
            else self.tr.t("patrol.no_fix")
        return PatrolView(True, headline, fixes, summary)
