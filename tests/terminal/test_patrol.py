"""FixFilter and PatrolSession with a hand-moved clock: what a patrol track keeps and how far it went."""
from __future__ import annotations

from datetime import timedelta

import pytest

from terminal.position import Fix, FixFilter, PatrolSession, SimulatedTrackProvider, haversine_m

from .helpers import StepClock

BASE = (22.2500, 113.5300)
METRE_LAT = 1 / 111_195  # degrees of latitude per metre


def at(clock: StepClock, north_m: float, accuracy_m: float | None = 5.0, after_s: float = 0.0) -> Fix:
    return Fix(BASE[0] + north_m * METRE_LAT, BASE[1], accuracy_m, clock.now + timedelta(seconds=after_s))


def test_filter_reasons():
    clock = StepClock()
    fixes = FixFilter(max_accuracy_m=30, max_speed_mps=15, min_move_m=1.0, duplicate_window_s=30)
    assert fixes.check(at(clock, 0, accuracy_m=None)).reason == "no_accuracy"
    assert fixes.check(at(clock, 0, accuracy_m=45)).reason == "poor_accuracy"
    assert fixes.check(at(clock, 0)).accepted
    assert fixes.check(at(clock, 0.4, after_s=5)).reason == "duplicate"
    assert fixes.check(at(clock, 500, after_s=10)).reason == "impossible_jump"  # 49 m/s even after 10 m slack
    assert fixes.check(at(clock, 20, after_s=-5)).reason == "out_of_order"
    assert fixes.check(at(clock, 12, after_s=10)).accepted                    # 1.2 m/s walk
    assert fixes.check(at(clock, 12, after_s=45)).accepted                    # standing still, but alive


def test_accuracy_slack_absorbs_noise_and_real_moves_are_accepted_later():
    clock = StepClock()
    fixes = FixFilter(max_speed_mps=15)
    fixes.check(at(clock, 0, accuracy_m=20))
    assert fixes.check(at(clock, 50, accuracy_m=20, after_s=1)).accepted       # 50 m - 40 m slack = 10 m/s
    assert not fixes.check(at(clock, 1000, after_s=2)).accepted
    assert fixes.check(at(clock, 1000, after_s=120)).accepted                  # 8 m/s over two minutes: plausible


def test_patrol_session_distance_duration_and_hours():
    clock = StepClock()
    recorded: list[Fix] = []
    waypoints = [BASE, (22.2520, 113.5300), (22.2520, 113.5325), BASE]  # ~ a 750 m loop
    track = SimulatedTrackProvider(waypoints, speed_mps=1.2, clock=clock, accuracy_m=6)
    patrol = PatrolSession(clock=clock, on_accept=recorded.append)
    patrol.start()
    track.start()
    for _ in range(900):  # 15 minutes, one fix per second
        clock.advance(1)
        patrol.add_fix(track.latest())
    patrol.add_fix(Fix(23.0, 114.0, 5.0, clock.now + timedelta(seconds=1)))  # a glitch 100 km away
    clock.advance(45 * 60 - 900)
    summary = patrol.stop()

    loop = sum(haversine_m(*a, *b) for a, b in zip(waypoints, waypoints[1:], strict=False))
    assert summary.distance_m == pytest.approx(loop, rel=0.01)
    assert summary.duration_s == 45 * 60 and summary.volunteer_hours == 0.75
    assert summary.fixes_rejected.get("impossible_jump") == 1
    assert summary.fixes_rejected.get("duplicate", 0) >= 1  # standing at the end of the loop
    assert summary.fixes_accepted == len(recorded) == len(patrol.fixes)
    with pytest.raises(RuntimeError):
        patrol.add_fix(track.latest())
    with pytest.raises(RuntimeError):
        patrol.stop()


def test_session_must_start_once():
    patrol = PatrolSession(clock=StepClock())
    with pytest.raises(RuntimeError):
        patrol.add_fix(Fix(*BASE, 5.0, StepClock().now))
    patrol.start()
    with pytest.raises(RuntimeError):
        patrol.start()
