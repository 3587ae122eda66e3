"""The units service below the API (hub/org/units_admin.py, hub/org/outlines.py): which datum a file says it is in,
conversion of every position (MultiPolygons too), gaps against a community's own outline and as holes between its
grids (a wedge touching the community's edge included), overlaps under the tolerance let through, next serials, and
the CLI's import converting a GCJ-02 file as the page does."""
from __future__ import annotations

import json

import pytest

from gridline.cli import main
from hub import sample
from hub.org.datums import wgs84_to_gcj02
from hub.org.geojson_io import OrgDataError, load_community
from hub.org.outlines import check_community
from hub.org.repo import get_unit
from hub.org.units_admin import UnitAdminError, create_unit, outline_report, source_datum, to_wgs84
from hub.store import HubStore

FUSHI = "440402004005"


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.mark.parametrize("member,want", [
    ({}, "wgs84"), ({"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}, "wgs84"),
    ({"crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}, "wgs84"),
    ({"coordinate_system": "GCJ-02"}, "gcj02"),
    ({"coordinateSystem": "gcj02"}, "gcj02"), ({"crs": "BD09"}, "bd09"), ({"coordinate_system": "baidu"}, "bd09")])
def test_the_datum_a_file_names(member, want):
    assert source_datum({"type": "FeatureCollection", **member}) == want


def test_an_unknown_datum_is_refused():
    with pytest.raises(OrgDataError, match="CGCS2000 / 3-degree"):
        source_datum({"crs": {"type": "name", "properties": {"name": "CGCS2000 / 3-degree"}}})


def test_every_position_is_converted_multipolygons_too():
    wgs = [(22.25, 113.52), (22.26, 113.52), (22.26, 113.53), (22.25, 113.52)]
    gcj = [list(reversed(wgs84_to_gcj02(lat, lon))) for lat, lon in wgs]
    collection = {"type": "FeatureCollection", "coordinate_system": "gcj02", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[gcj], [gcj]]}}]}
    out, datum = to_wgs84(collection)
    assert datum == "gcj02" and "coordinate_system" not in out
    for polygon in out["features"][0]["geometry"]["coordinates"]:
        for (lon, lat), (wlat, wlon) in zip(polygon[0], wgs, strict=True):
            assert abs(lon - wlon) < 1e-7 and abs(lat - wlat) < 1e-7
    assert polygon[0][0] == polygon[0][-1]  # still closed
    assert collection["features"][0]["geometry"]["coordinates"][0][0] == gcj  # the caller's copy untouched


def test_gaps_against_the_outline_holes_and_wedges_and_tolerated_slivers():
    a, b = square(0.0, 0.0, 0.01, 0.01), square(0.01, 0.0, 0.02, 0.01)
    assert check_community("c", {"a": a, "b": b}, ["a"]).gaps == []
    outline = square(0.0, 0.0, 0.03, 0.01)  # the community reaches further east than its grids
    gaps = check_community("c", {"a": a, "b": b}, ["a"], outline).gaps
    assert len(gaps) == 1 and 1_100_000 < gaps[0].area_m2 < 1_300_000  # 0.01° x 0.01° at the equator
    ring = {"x": {"type": "Polygon", "coordinates": [  # a grid with a courtyard nobody was given
        [[0, 0], [0.03, 0], [0.03, 0.03], [0, 0.03], [0, 0]], [[0.01, 0.01], [0.02, 0.01], [0.02, 0.02], [0.01, 0.02],
                                                           [0.01, 0.01]]]}}
    assert len(check_community("c", ring, ["x"]).gaps) == 1
    wedge = {"type": "Polygon", "coordinates": [[[0.01, 0.0], [0.02, 0.0], [0.02, 0.01], [0.01, 0.01],
                                                 [0.012, 0.005], [0.01, 0.0]]]}  # b's west edge pushed east
    report = check_community("c", {"a": a, "b": wedge}, ["b"])
    assert report.ok and len(report.gaps) == 1  # touches the community's edge at both ends: still found
    sliver = square(0.0, 0.0, 0.01005, 0.01)  # 0.5 % of b: digitising noise
    assert check_community("c", {"a": sliver, "b": b}, ["a"]).overlaps == []
    assert check_community("c", {"a": square(0.0, 0.0, 0.012, 0.01), "b": b}, ["a"]).overlaps[0].other == "b"


def test_next_serials_and_refusals(store):
    load_community(store, sample.load_raw())
    assert create_unit(store, level="grid", name="福石六网格", parent=FUSHI).code == FUSHI + "006"
    assert create_unit(store, level="building", name="1 栋", parent=FUSHI + "001").code == FUSHI + "001001"
    assert create_unit(store, level="street", name="新街道", parent="440402").code == "440402001"
    for kwargs, kind in [({"level": "grid", "parent": "440402"}, "invalid"),  # a grid under a district
                         ({"level": "building", "parent": FUSHI + "009"}, "not_found"),
                         ({"level": "city", "parent": "440400"}, "invalid"),
                         ({"level": "grid", "parent": FUSHI, "code": FUSHI + "001"}, "exists"),
                         ({"level": "grid", "parent": FUSHI, "code": FUSHI + "000"}, "invalid")]:
        with pytest.raises(UnitAdminError) as refused:
            create_unit(store, name="x", **kwargs)
        assert refused.value.kind == kind, kwargs
    with pytest.raises(UnitAdminError, match="only communities and grids"):
        outline_report(store, FUSHI + "001001", square(113.52, 22.25, 113.521, 22.251))


def test_the_cli_import_converts_gcj02_too(db_url, tmp_path, capsys):
    raw = sample.load_raw()
    fushi = tmp_path / "fushi.json"
    fushi.write_text(json.dumps(raw["grids"] | {"hierarchy": raw["hierarchy"]}, ensure_ascii=False))
    assert main(["hub", "grids", "import", str(fushi), "--db", db_url]) == 0
    wgs = [(22.238, 113.52), (22.238, 113.5355), (22.244, 113.5355), (22.244, 113.52), (22.238, 113.52)]
    ring = [list(reversed(wgs84_to_gcj02(lat, lon))) for lat, lon in wgs]
    south = tmp_path / "south.geojson"
    south.write_text(json.dumps({"type": "FeatureCollection", "coordinate_system": "gcj02", "features": [
        {"type": "Feature", "properties": {"code": FUSHI + "006", "name": "南区"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    assert main(["hub", "grids", "import", str(south), "--db", db_url]) == 0
    assert "drawn in gcj02, stored in WGS-84" in capsys.readouterr().out
    store = HubStore(db_url, tmp_path / "data")
    try:
        stored = get_unit(store, FUSHI + "006").geometry["coordinates"][0]
        assert abs(stored[0][0] - 113.52) < 1e-6 and abs(stored[0][1] - 22.238) < 1e-6
    finally:
        store.close()
