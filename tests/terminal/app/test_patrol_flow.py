"""Patrol flow presenter: start/stop, interval sampling through FixFilter, hazard position, volunteer hours."""
from __future__ import annotations

from datetime import datetime

import pytest

from protocol import PositionFix
from terminal.app.presenters.common import FlowRefused
from terminal.position import Fix, PositionProvider, SimulatedTrackProvider

# ~222 m north then ~206 m east, inside the sample grid
TRACK = [(22.2705, 113.5305), (22.2725, 113.5305), (22.2725, 113.5325)]


class ScriptedReceiver(PositionProvider):
    """A GPS receiver replaying recorded fixes (hardware stand-in): one fix per call of ``emit``."""

    def __init__(self):
        self.current: Fix | None = None
        self.started = False

    def start(self) -> None:
        self.started = True

    def latest(self) -> Fix | None:
        return self.current if self.started else None

    def stop(self) -> None:
        self.started = False

    def emit(self, lat: float, lon: float, accuracy_m: float | None, at: datetime) -> None:
        self.current = Fix(lat, lon, accuracy_m, at, source="scripted")


def positions(ctx) -> list[PositionFix]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'position' ORDER BY seq").fetchall()
    return [PositionFix.model_validate_json(r[0]) for r in rows]


def test_patrol_samples_at_the_interval_and_sums_distance_and_hours(make_context, clock):
    track = SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock)
    ctx = make_context("tablet", position=track)
    patrol = ctx.patrol
    assert patrol.view().headline == "未在巡逻"
    patrol.start()
    assert len(positions(ctx)) == 1  # the starting point
    for _ in range(10):
        clock.advance(5)
        patrol.poll()  # the screen polls every second or so; only every 10 s (config) counts
    assert len(positions(ctx)) == 1 + 5
    for _ in range(40):  # on to the end of the 428 m track, then standing there
        clock.advance(10)
        patrol.poll()
    clock.advance(90)
    summary = patrol.stop()
    assert not patrol.running and not track._started_at
    assert summary.duration_s == 540
    assert summary.distance_m == pytest.approx(428, abs=3)  # only the corner is cut, by < 3 m at 10 m steps
    assert summary.volunteer_hours == 0.15
    assert patrol.summary_text(summary) == (f"用时 9分0秒，走了 {round(summary.distance_m)} 米，"
                                            f"记录 {summary.fixes_accepted} 个位置（约 0.15 小时志愿服务）")
    kept = positions(ctx)
    assert len(kept) == summary.fixes_accepted
    assert summary.fixes_rejected.get("duplicate", 0) > 0  # standing still at the end adds nothing
    assert (kept[-1].position.lat, kept[-1].position.lon) == TRACK[-1]


def test_bad_fixes_are_filtered_before_they_reach_the_outbox(make_context, clock):
    receiver = ScriptedReceiver()
    ctx = make_context("tablet", position=receiver)
    patrol = ctx.patrol
    receiver.emit(22.2705, 113.5305, 5.0, clock())
    patrol.start()
    steps = [((22.2706, 113.5305), 80.0),   # poor accuracy (indoors)
             ((22.2806, 113.5305), 5.0),    # 1.1 km in 10 s: impossible jump
             ((22.2706, 113.5305), 5.0),    # 11 m on: kept
             ((22.2706, 113.5305), None)]   # no accuracy at all
    for (lat, lon), accuracy in steps:
        clock.advance(10)
        receiver.emit(lat, lon, accuracy, clock())
        patrol.poll()
    clock.advance(10)
    patrol.poll()  # the receiver sent nothing new: not counted again
    assert len(positions(ctx)) == 2
    assert patrol.session.rejected == {"poor_accuracy": 1, "impossible_jump": 1, "no_accuracy": 1}
    assert patrol.view().fixes == "已记录 2 个位置（信号弱，3 次没记上）"


def test_hazard_report_uses_the_patrols_last_kept_fix(make_context, clock):
    track = SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock)
    ctx = make_context("tablet", position=track)
    ctx.patrol.start()
    clock.advance(100)
    ctx.patrol.poll()
    flow = ctx.report
    assert flow.capture()
    flow.choose_category("E0401")
    report = flow.submit()
    last = ctx.patrol.last_fix()
    assert (report.position.lat, report.position.lon) == (last.lat, last.lon)
    assert report.photos


def test_stop_without_a_patrol_is_refused(make_context):
    ctx = make_context("tablet", position=ScriptedReceiver())
    with pytest.raises(FlowRefused):
        ctx.patrol.stop()


def test_a_patrol_survives_closing_the_app_and_keeps_its_start(make_context, clock):
    track = SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock)
    ctx = make_context("tablet", position=track)
    ctx.patrol.start()
    started = ctx.patrol.session.started_at
    clock.advance(600)
    ctx.patrol.poll()
    ctx.stop()  # the app closes (or the battery dies) mid-patrol

    clock.advance(1200)
    again = make_context("tablet", position=SimulatedTrackProvider(TRACK[-1:], clock=clock))
    assert again.patrol.running and again.patrol.session.started_at == started
    clock.advance(1800)
    summary = again.patrol.stop()
    assert summary.duration_s == 3600 and summary.volunteer_hours == 1.0
    third = make_context("tablet", position=SimulatedTrackProvider(TRACK, clock=clock))
    assert not third.patrol.running  # a stopped patrol stays stopped
