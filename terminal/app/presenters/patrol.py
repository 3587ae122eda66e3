"""Patrol (巡逻) on the tablet: start, a position sample every interval through the fix filter, hazards on the way,
a map of the walked track, and ending only after the volunteer confirms it, with a summary sent to the hub.

Each kept fix becomes a durable PositionFix record (the hub rebuilds the track from them); the end of a patrol
becomes a PatrolLog record (span, distance, positions recorded). The screen calls :meth:`poll` every second or so
and the interval is enforced here, by the injected clock. Words are a volunteer's, not a surveyor's: "3 places
recorded", never "fixes kept/rejected".
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, format_distance, format_duration
from terminal.app.presenters.trackmap import LatLon, TrackDrawing, TrackMap
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.position import Fix, FixFilter, PatrolSession, PatrolSummary, PositionProvider

STARTED_SETTING = "app.patrol_started_at"
GRID_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")


def unreliable(rejected: Mapping[str, int]) -> int:
    """Readings left out as unreliable (weak signal, impossible jumps); standing still is not a bad reading."""
    return sum(n for reason, n in rejected.items() if reason != "duplicate")


@dataclass(frozen=True)
class PatrolView:
    running: bool
    headline: str
    fixes: str  # how many places were recorded, in plain words
    summary: str  # the last finished patrol, or ""
    confirming: bool = False  # "end this patrol?" is on screen
    confirm_text: str = ""  # what ending it means: time and distance so far
    map_hint: str = ""  # shown on the empty map


class PatrolFlow:
    def __init__(self, device: Device, position: PositionProvider, tr: Translator, *, interval_s: float = 10.0,
                 clock: Clock = utc_now, fix_filter: Callable[[], FixFilter] = FixFilter,
                 track_map: TrackMap | None = None, grid_code: str | None = None):
        if interval_s <= 0:
            raise ValueError("patrol interval must be positive")
        self.device, self.provider, self.tr = device, position, tr
        self.interval_s, self.clock, self.fix_filter = interval_s, clock, fix_filter
        self.track_map = track_map or TrackMap()
        self.grid_code = grid_code if grid_code and GRID_CODE.fullmatch(grid_code) else None  # protocol's Code
        self.session: PatrolSession | None = None
        self.last_summary: PatrolSummary | None = None
        self.last_track: list[LatLon] = []  # the finished patrol's line, still drawn until the next starts
        self.last_log_id: str | None = None  # the finished patrol's PatrolLog record: has the hub receipted it?
        self.confirming = False
        self._last_sample: datetime | None = None
        self._last_fix_time: datetime | None = None
        started = device.store.get_setting(STARTED_SETTING)
        if started:
            self._resume(datetime.fromisoformat(started))

    def _resume(self, started_at: datetime) -> None:
        """The app was closed (or the battery died) mid-patrol: carry on with the same start, so the volunteer's
        hours are not lost. The kept fixes are durable records: read back, they redraw the line and keep the
        distance."""
        self.provider.start()
        self.session = PatrolSession(clock=self.clock, fix_filter=self.fix_filter(), on_accept=self._keep)
        kept = [Fix(p.position.lat, p.position.lon, p.position.accuracy_m, p.created_at, p.speed_mps, p.heading_deg,
                    source="recorded") for p in self.device.store.positions_since(started_at)]
        self.session.resume(started_at, kept)

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
        self.confirming, self.last_track = False, []
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

    def ask_stop(self) -> None:
        """The end button asks first: one stray tap must not end a volunteer's patrol."""
        if not self.running:
            raise FlowRefused("patrol.idle")
        self.confirming = True

    def keep_going(self) -> None:
        self.confirming = False

    def stop(self) -> PatrolSummary:
        """End the patrol (the screen calls this only once the volunteer confirmed) and record its summary."""
        session = self.session
        if session is None or not session.active:  # not self.running
            raise FlowRefused("patrol.idle")
        self.poll(force=True)
        summary = self.last_summary = session.stop()
        self.last_track = [(f.lat, f.lon) for f in session.fixes]
        self.last_log_id = self.device.patrol_log(
            summary.started_at, summary.ended_at, distance_m=round(summary.distance_m, 1),
            fixes=summary.fixes_accepted, skipped=unreliable(summary.fixes_rejected), grid_code=self.grid_code).id
        self.device.store.set_setting(STARTED_SETTING, "")
        self.provider.stop()
        self.confirming = False
        return summary

    def summary_text(self, summary: PatrolSummary) -> str:
        return self.tr.t("patrol.summary_text", duration=format_duration(self.tr, summary.duration_s),
                         distance=format_distance(self.tr, summary.distance_m), places=summary.fixes_accepted,
                         hours=f"{summary.volunteer_hours:.2f}")

    def track(self) -> list[LatLon]:
        """The line to draw: the running patrol's recorded places, else the last finished one's."""
        s = self.session
        if s is not None and s.active:
            return [(f.lat, f.lon) for f in s.fixes]
        return list(self.last_track)

    def drawing(self, width: float, height: float) -> TrackDrawing:
        return self.track_map.draw(self.track(), width, height)

    def delivery_text(self) -> str:
        """Whether the community has the last patrol: the hub's receipt, not merely a send."""
        if self.last_log_id is None:
            return ""
        acked = self.device.store.outbox_state(self.last_log_id) == "acked"
        return self.tr.t("patrol.delivered" if acked else "patrol.not_delivered")

    def view(self) -> PatrolView:
        summary = self.summary_text(self.last_summary) + self.delivery_text() if self.last_summary else ""
        s = self.session
        if s is None or not s.active:  # not self.running
            hint = "" if self.last_track else self.tr.t("patrol.map_hint")
            return PatrolView(False, self.tr.t("patrol.idle"), "", summary, map_hint=hint)
        duration, distance = format_duration(self.tr, s.duration_s), format_distance(self.tr, s.distance_m)
        headline = self.tr.t("patrol.running", duration=duration, distance=distance)
        if s.fixes:
            fixes = self.tr.t("patrol.fixes", ok=len(s.fixes))
            skipped = unreliable(s.rejected)
            if skipped:
                fixes += self.tr.t("patrol.skipped", n=skipped)
        else:
            fixes = self.tr.t("patrol.no_fix")
        confirm = self.tr.t("patrol.confirm_text", duration=duration, distance=distance) if self.confirming else ""
        return PatrolView(True, headline, fixes, summary, self.confirming, confirm,
                          "" if s.fixes else self.tr.t("patrol.no_fix"))
