"""Report flow presenter (kiosk problem report): capture → quality verdict → category → note/severity → place."""
from __future__ import annotations

import json

import pytest

from protocol import IncidentReport, Severity
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.gridmap import GridMap
from terminal.position.geo import haversine_m

from .conftest import GRID_BBOX, KIOSK_SPOT, file_camera


def outbox_reports(ctx) -> list[IncidentReport]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'report' ORDER BY seq").fetchall()
    return [IncidentReport.model_validate_json(r[0]) for r in rows]


def test_dark_then_blurry_photo_is_refused_with_advice_then_a_good_one_is_kept(make_context, photo_files):
    ctx = make_context(camera=file_camera(photo_files["dark"], photo_files["blurry"], photo_files["good"]))
    flow = ctx.report
    assert not flow.capture()
    assert flow.photo is None and flow.message == "照片太暗，请到光线充足处重拍"
    assert not flow.capture()
    assert flow.photo is None and "模糊" in flow.message and "重拍" in flow.message
    assert flow.capture()
    assert flow.photo is not None and flow.message.startswith("照片清晰")
    assert flow.photo.jpeg[:2] == b"\xff\xd8" and b"Exif" not in flow.photo.jpeg[:64]


def test_quality_advice_follows_the_language(make_context, photo_files):
    ctx = make_context(camera=file_camera(photo_files["dark"]))
    ctx.tr.set_language("en")
    ctx.report.capture()
    assert ctx.report.message == "Photo is too dark; find more light and retake"


def test_submit_needs_photo_and_category_then_writes_a_durable_report(make_context):
    ctx = make_context()
    flow = ctx.report
    with pytest.raises(FlowRefused) as refused:
        flow.submit()
    assert refused.value.key == "report.photo_needed"
    assert flow.capture()
    with pytest.raises(FlowRefused) as refused:
        flow.submit()
    assert refused.value.key == "report.category_needed"
    flow.choose_category("E0501")
    flow.set_note("  消防通道被电动车占用  ")
    flow.set_severity("high")
    photo_sha = flow.photo.sha256
    report = flow.submit()

    stored = outbox_reports(ctx)
    assert [r.id for r in stored] == [report.id]
    assert stored[0].category == "E0501" and stored[0].note == "消防通道被电动车占用"
    assert stored[0].severity is Severity.HIGH
    # no place picked: the kiosk's fixed position
    assert (stored[0].position.lat, stored[0].position.lon) == KIOSK_SPOT
    assert [p.sha256 for p in stored[0].photos] == [photo_sha]
    assert ctx.device.status().pending == 1 and ctx.device.status().photos_pending == 1
    # the form is clean for the next resident, with a reference to note down
    assert flow.photo is None and flow.category is None and flow.note == ""
    assert report.id[-6:] in flow.message


def test_unknown_category_is_refused_and_urgent_category_raises_severity(make_context):
    flow = make_context().report
    with pytest.raises(FlowRefused):
        flow.choose_category("X9999")
    flow.choose_category("C0101")  # manhole cover: urgent in the taxonomy
    assert flow.severity is Severity.HIGH


def test_categories_filter_by_major_class(make_context):
    flow = make_context().report
    majors = dict(flow.majors())
    assert majors["event:05"] == "街面秩序"
    assert {c.code[:3] for c in flow.categories_in("event:05")} == {"E05"}
    assert len(flow.categories_in(None)) == len(flow.categories) > 30


def test_place_picked_on_the_grid_map(make_context):
    ctx = make_context()
    flow = ctx.report
    flow.capture()
    flow.choose_category("E0101")
    place = flow.pick_on_map(0, 3)  # north-east cell
    assert flow.place_text() == "已选：A4 区"  # rows A-C from the north, columns 1-4 from the west
    report = flow.submit()
    lon_min, lat_min, lon_max, lat_max = GRID_BBOX
    assert lat_min + (lat_max - lat_min) * 2 / 3 < report.position.lat < lat_max
    assert lon_min + (lon_max - lon_min) * 3 / 4 < report.position.lon < lon_max
    assert report.position.accuracy_m == place.accuracy_m > 0


def test_grid_map_cells_round_trip_and_accuracy_is_half_the_cell_diagonal():
    grid = GridMap(tuple(GRID_BBOX), rows=3, cols=4)
    for row in range(3):
        for col in range(4):
            place = grid.pick(row, col)
            assert grid.cell_of(place.lat, place.lon) == (row, col)
    place = grid.pick(1, 1)
    dlat, dlon = grid.cell_size()
    corner = haversine_m(place.lat, place.lon, place.lat + dlat / 2, place.lon + dlon / 2)
    assert place.accuracy_m == pytest.approx(corner, rel=0.02)
    assert grid.cell_of(22.2729, 113.5301) == (0, 0) and grid.cell_of(22.2701, 113.5329) == (2, 3)
    assert grid.cell_of(0.0, 0.0) is None
    with pytest.raises(ValueError):
        grid.pick(3, 0)


def test_report_needs_a_position_when_the_device_has_none(make_context, tmp_path):
    from terminal.position import SimulatedTrackProvider

    track = SimulatedTrackProvider([KIOSK_SPOT])  # never started: no fix yet
    ctx = make_context("tablet", position=track)
    flow = ctx.report
    flow.capture()
    flow.choose_category("E0101")
    assert "report.position_needed" in flow.missing()
    assert flow.place_text() == "暂无定位"
    with pytest.raises(FlowRefused):
        flow.submit()
    assert outbox_reports(ctx) == []
    assert json.loads(json.dumps(ctx.device.status().outbox))  # still readable, nothing half-written
