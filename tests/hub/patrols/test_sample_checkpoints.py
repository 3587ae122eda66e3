"""The sample community's patrol checkpoints (hub/sample/checkpoints.json, loaded by the demo): each lies inside its
grid's outline with a radius and a checklist of known categories, the grids' routes follow the file's order, the
grids' tablets get their lists, and loading again adds nothing - nor brings back a checkpoint an admin retired, nor
overwrites an admin's route."""
from __future__ import annotations

from hub import sample
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy
from hub.patrols.checkpoints import DEFAULT_CHECKLIST, CheckpointRegistry
from hub.patrols.sample import load_sample_checkpoints, sample_checkpoints
from protocol import parse_checkpoint_qr

GRID1, GRID5 = "440402004005001", "440402004005005"


def test_sample_checkpoints_are_defined_inside_their_grids_once(store, clock):
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    shipped = sample_checkpoints()
    assert load_sample_checkpoints(store, clock=clock) == len(shipped.checkpoints) == 5
    assert load_sample_checkpoints(store, clock=clock) == 0  # idempotent

    registry = CheckpointRegistry(store, clock=clock)
    grids = {g.code: g for g in sample.grids()}
    defined = registry.listed()
    assert {(c.grid_code, c.name) for c in defined} == {(p.grid_code, p.name) for p in shipped.checkpoints}
    for point in defined:
        assert grids[point.grid_code].contains(point.lon, point.lat), point.name
        assert 5 <= point.radius_m <= 100 and point.checklist and point.created_by == "p-fs-duty-01"
        assert parse_checkpoint_qr(point.qr_text) == point.id
    by_name = {c.name: c for c in defined}
    assert by_name["福石花园北侧消防通道"].checklist == list(DEFAULT_CHECKLIST)  # no checklist in the file
    assert [i.code for i in by_name["商业街东口餐饮店燃气点"].checklist] == ["gas_safe", "fire_lane_clear"]

    lists = registry.lists_by_grid()
    assert set(lists) == {GRID1, GRID5}
    for grid in (GRID1, GRID5):
        assert [by_name[n].id for n in shipped.routes[grid]] == lists[grid].route
        assert {c.id for c in lists[grid].checkpoints} == set(lists[grid].route)

    # an admin retires one and re-orders the other grid's route: loading again keeps both decisions
    registry.retire(by_name["福石花园6栋电动车充电棚"].id)
    registry.set_route(GRID5, list(reversed(lists[GRID5].route)), "admin")
    assert load_sample_checkpoints(store, clock=clock) == 0
    again = registry.lists_by_grid()
    assert "福石花园6栋电动车充电棚" not in {c.name for c in again[GRID1].checkpoints}
    assert again[GRID5].route == list(reversed(lists[GRID5].route))
