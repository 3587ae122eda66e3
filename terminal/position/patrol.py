"""Patrol tracks: keep the fixes worth keeping, measure the walk, and report it as volunteer hours."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from terminal.clock import Clock, utc_now
from terminal.position.geo import haversine_m
from terminal.position.providers import Fix


@dataclass(frozen=True)
class FilterDecision:
    accepted: bool
    reason: str  # "accepted", "no_accuracy", "poor_accuracy", "impossible_jump", "duplicate", "out_of_order"


class FixFilter:
    """Rejects fixes that would draw a wrong track.

    - accuracy unknown or worse than ``max_accuracy_m`` (indoor multipath, cold start);
    - an implied speed above ``max_speed_mps`` from the last accepted fix (15 m/s: a patrol walks or cycles).
      The distance is first reduced by both fixes' accuracy radii, so honest noise never counts as a jump,
      and a real move (the last fix was the wrong one) is accepted once enough time has passed;
    - a repeat of the last accepted position (within ``min_move_m``) less than ``duplicate_window_s`` later;
    - a timestamp not after the last accepted one.
    """

    def __init__(self, *, max_accuracy_m: float = 30.0, max_speed_mps: float = 15.0, min_move_m: float = 1.0,
                 duplicate_window_s: float = 30.0):
        self.max_accuracy_m, self.max_speed_mps = max_accuracy_m, max_speed_mps
        self.min_move_m, self.duplicate_window_s = min_move_m, duplicate_window_s
        self.last: Fix | None = None

    def check(self, fix: Fix) -> FilterDecision:
        """Judge ``fix``; an accepted fix becomes the reference for the next."""
        reason = self._reason(fix)
        if reason == "accepted":
            self.last = fix
        return FilterDecision(reason == "accepted", reason)

    def _reason(self, fix: Fix) -> str:
        if fix.accuracy_m is None:
            return "no_accuracy"
        if fix.accuracy_m > self.max_accuracy_m:
            return "poor_accuracy"
        if self.last is None:
            return "accepted"
        elapsed = (fix.timestamp - self.last.timestamp).total_seconds()
        distance = haversine_m(self.last.lat, self.last.lon, fix.lat, fix.lon)
        if distance < self.min_move_m and elapsed < self.duplicate_window_s:
            return "duplicate"
        if elapsed <= 0:
            return "out_of_order"
        slack = fix.accuracy_m + (self.last.accuracy_m or 0.0)
        if max(0.0, distance - slack) / elapsed > self.max_speed_mps:
            return "impossible_jump"
        return "accepted"


@dataclass(frozen=True)
class PatrolSummary:
    started_at: datetime
    ended_at: datetime
    duration_s: float
    distance_m: float
    fixes_accepted: int
    fixes_rejected: dict[str, int]

    @property
    def volunteer_hours(self) -> float:
        """Patrol time counts toward the volunteer's hours (志愿服务时长), to the hundredth of an hour."""
        return round(self.duration_s / 3600, 2)


class PatrolSession:
    """One patrol from start() to stop(). ``on_accept`` lets the app record each kept fix (e.g. Device.position)."""

    def __init__(self, *, clock: Clock = utc_now, fix_filter: FixFilter | None = None,
                 on_accept: Callable[[Fix], None] | None = None):
        self.clock = clock
        self.filter = fix_filter or FixFilter()
        self.on_accept = on_accept
        self.fixes: list[Fix] = []
        self.rejected: Counter[str] = Counter()
        self.distance_m = 0.0
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.started_at is not None and self.ended_at is None

    def start(self) -> None:
        if self.started_at is not None:
            raise RuntimeError("a patrol session is started once; make a new one for the next patrol")
        self.started_at = self.clock()

    def resume(self, started_at: datetime, fixes: list[Fix]) -> None:
        """Carry on a patrol begun by an earlier run of the app: its start, and the fixes it had kept (already
        recorded), so the line and the distance go on from where they were."""
        if self.started_at is not None:
            raise RuntimeError("a patrol session is started once; make a new one for the next patrol")
        self.started_at = started_at
        for fix in fixes:
            if self.fixes:
                previous = self.fixes[-1]
                self.distance_m += haversine_m(previous.lat, previous.lon, fix.lat, fix.lon)
            self.fixes.append(fix)
        if fixes:
            self.filter.last = fixes[-1]

    def add_fix(self, fix: Fix) -> FilterDecision:
        if not self.active:
            raise RuntimeError("patrol is not running")
        decision = self.filter.check(fix)
        if not decision.accepted:
            self.rejected[decision.reason] += 1
            return decision
        if self.fixes:
            previous = self.fixes[-1]
            self.distance_m += haversine_m(previous.lat, previous.lon, fix.lat, fix.lon)
        self.fixes.append(fix)
        if self.on_accept is not None:
            self.on_accept(fix)
        return decision

    def stop(self) -> PatrolSummary:
        if not self.active:
            raise RuntimeError("patrol is not running")
        self.ended_at = self.clock()
        return self.summary()

    @property
    def duration_s(self) -> float:
        if self.started_at is None:
            return 0.0
        end = self.ended_at or self.clock()
        return max(0.0, (end - self.started_at).total_seconds())

    def summary(self) -> PatrolSummary:
        if self.started_at is None:
            raise RuntimeError("patrol never started")
        return PatrolSummary(started_at=self.started_at, ended_at=self.ended_at or self.clock(),
                             duration_s=self.duration_s, distance_m=self.distance_m, fixes_accepted=len(self.fixes),
                             fixes_rejected=dict(self.rejected))
