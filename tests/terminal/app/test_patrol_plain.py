"""The tablet speaks plainly, asks before ending a patrol, draws the walked track and tells the hub the patrol's
summary (a PatrolLog record in the durable outbox, next to the positions)."""
from __future__ import annotations

import pytest

from protocol import PatrolLog, PositionFix
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.trackmap import TrackMap
from terminal.position import SimulatedTrackProvider

TRACK = [(22.2705, 113.5305), (22.2725, 113.5305), (22.2725, 113.5325)]  # inside the test grid box
BBOX = (113.5300, 22.2700, 113.5330, 22.2730)
JARGON = ("定位", "剔除", "fix", "reject")


def records(ctx, kind: str, model):
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = ? ORDER BY seq", [kind]).fetchall()
    return [model.model_validate_json(r[0]) for r in rows]


def walk(ctx, clock, steps: int = 30) -> None:
    for _ in range(steps):
        clock.advance(10)
        ctx.patrol.poll()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_words_are_a_volunteers_not_a_surveyors(make_context, clock, language):
    ctx = make_context("tablet", position=SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock))
    ctx.tr.language = language
    ctx.patrol.start()
    walk(ctx, clock, 5)
    view = ctx.patrol.view()
    assert view.fixes == ("已记录 6 个位置" if language == "zh" else "6 places recorded")
    assert not any(word in view.fixes.lower() for word in JARGON)


def test_ending_asks_first_and_keep_going_changes_nothing(make_context, clock):
    ctx = make_context("tablet", position=SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock))
    patrol = ctx.patrol
    with pytest.raises(FlowRefused):
        patrol.ask_stop()  # nothing to end
    patrol.start()
    walk(ctx, clock, 6)
    patrol.ask_stop()
    view = patrol.view()
    assert view.running and view.confirming
    assert view.confirm_text == "确定结束这次巡逻吗？已巡逻 1分0秒，走了 60 米"
    patrol.keep_going()
    assert patrol.running and not patrol.view().confirming and not records(ctx, "patrol", PatrolLog)
    walk(ctx, clock, 3)
    patrol.ask_stop()
    summary = patrol.stop()
    assert not patrol.running and not patrol.view().confirming
    [log] = records(ctx, "patrol", PatrolLog)
    assert (log.started_at, log.ended_at) == (summary.started_at, summary.ended_at)
    assert log.fixes == summary.fixes_accepted == len(records(ctx, "position", PositionFix))
    assert log.distance_m == pytest.approx(summary.distance_m, abs=0.1) and log.distance_m == pytest.approx(90, abs=1)
    assert log.grid_code == "440402004005001"
    [(kind, state)] = ctx.device.store.db.execute("SELECT kind, state FROM outbox WHERE record_id = ?",
                                                  [log.id]).fetchall()
    assert (kind, state) == ("patrol", "pending")  # sent and receipted like every record
    assert patrol.view().summary.endswith("。联网后自动交给社区")  # not sent yet, and it says so
    ctx.device.store.mark_acked([log.id])  # what the hub's receipt does
    assert patrol.view().summary.endswith("。社区已收到")


def test_the_map_draws_the_grid_and_the_walked_line_inside_the_widget(make_context, clock):
    ctx = make_context("tablet", position=SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock))
    assert ctx.patrol.view().map_hint  # before a patrol: a hint on the empty map
    ctx.patrol.start()
    walk(ctx, clock, 45)  # the whole 428 m L, then standing at its end
    drawing = ctx.patrol.drawing(600, 400)
    assert len(drawing.outline) == 10  # the grid box, closed
    xs, ys = drawing.track[0::2], drawing.track[1::2]
    assert all(0 <= x <= 600 for x in xs) and all(0 <= y <= 400 for y in ys)
    first, last = (xs[0], ys[0]), (xs[-1], ys[-1])
    assert drawing.start == pytest.approx(first) and drawing.here == pytest.approx(last)
    # walked north then east: the end is above and to the right of the start; north is up
    assert last[0] > first[0] + 50 and last[1] > first[1] + 50
    corner = max(range(len(xs)), key=lambda i: ys[i] - xs[i])  # the north-west corner of the L
    assert xs[corner] == pytest.approx(first[0], abs=1)
    # equal metres look equal: ~222 m north and ~206 m east
    north, east = ys[corner] - first[1], last[0] - xs[corner]
    assert north / east == pytest.approx(222 / 206, rel=0.05)
    assert drawing.metres_per_px == pytest.approx(222 / north, rel=0.05)
    ctx.patrol.stop()
    assert ctx.patrol.drawing(600, 400).track == drawing.track  # the finished line stays until the next patrol


def test_a_track_leaving_the_grid_widens_the_view_and_an_outline_ring_is_used():
    ring = [(113.52, 22.244), (113.5232, 22.244), (113.5236, 22.25), (113.5232, 22.256), (113.52, 22.256)]
    drawing = TrackMap(outline=ring).draw([(22.25, 113.521), (22.26, 113.521)], 300, 300)
    assert len(drawing.outline) == 2 * (len(ring) + 1)
    assert max(drawing.track[1::2]) <= 300 - 12 + 0.1  # the point north of the grid is still inside the margin
    assert TrackMap().draw([], 300, 300).track == []  # no grid, no line: nothing to draw, no error
    assert TrackMap(BBOX).draw([], 10, 10).outline == []  # too small to draw


def test_a_resumed_patrol_redraws_its_line_and_keeps_its_distance(make_context, clock):
    ctx = make_context("tablet", position=SimulatedTrackProvider(TRACK, speed_mps=1.0, clock=clock))
    ctx.patrol.start()
    walk(ctx, clock, 20)
    before = (len(ctx.patrol.session.fixes), ctx.patrol.session.distance_m)
    ctx.stop()  # the app closes mid-patrol
    again = make_context("tablet", position=SimulatedTrackProvider(TRACK[-1:], clock=clock))
    assert again.patrol.running
    assert (len(again.patrol.session.fixes), again.patrol.session.distance_m) == pytest.approx(before)
    assert len(again.patrol.drawing(600, 400).track) == 2 * before[0]
