import copy
import json

import pytest

from gridline.cli import main
from hub.org.geojson_io import OrgDataError, export_grids, import_grids, load_community
from hub.org.repo import get_unit, list_device_bindings, list_people, list_units
from hub.sample import load_raw


def sample_file() -> dict:
    raw = copy.deepcopy(load_raw())
    return {"type": "FeatureCollection", "hierarchy": raw["hierarchy"], "features": raw["grids"]["features"]}


def test_cli_import_export_round_trip(db_url, tmp_path, capsys):
    source = tmp_path / "grids.geojson"
    source.write_text(json.dumps(sample_file(), ensure_ascii=False), encoding="utf-8")
    assert main(["hub", "grids", "import", str(source), "--db", db_url, "--data-dir", str(tmp_path)]) == 0
    assert "imported 5 grids (9 units new" in capsys.readouterr().out

    out = tmp_path / "out.geojson"
    assert main(["hub", "grids", "export", str(out), "--db", db_url, "--data-dir", str(tmp_path)]) == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["features"] == sample_file()["features"]
    assert [u["code"] for u in exported["hierarchy"]] == ["440400", "440402", "440402004", "440402004005"]

    # Importing the export again is an update in place, not a duplicate.
    assert main(["hub", "grids", "import", str(out), "--db", db_url]) == 0
    assert "0 units new, 9 updated" in capsys.readouterr().out


def test_cli_rejects_invalid_polygon_and_imports_nothing(db_url, tmp_path, capsys):
    bad = sample_file()
    # A bow-tie: the ring crosses itself.
    bad["features"][0]["geometry"]["coordinates"] = [[[113.52, 22.244], [113.523, 22.256], [113.523, 22.244],
                                                      [113.52, 22.256], [113.52, 22.244]]]
    bad["features"][1]["properties"]["code"] = "44040200400500X"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["hub", "grids", "import", str(path), "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err
    assert "440402004005001" in err and "Self-intersection" in err
    assert "15 digits" in err
    assert main(["hub", "grids", "export", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out)["features"] == []


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f["features"][0]["geometry"]["coordinates"][0].__setitem__(1, [200.0, 22.244]), "WGS-84"),
    (lambda f: f["features"][0]["geometry"]["coordinates"][0].pop(), "closed"),
    (lambda f: f["features"][0]["geometry"].__setitem__("type", "LineString"), "Polygon"),
    (lambda f: f["features"][0]["properties"].__setitem__("community", "440402004006"), "prefix"),
    (lambda f: f["features"][1]["properties"].__setitem__("code", "440402004005001"), "duplicate"),
    (lambda f: f["features"][1]["geometry"].__setitem__("coordinates", copy.deepcopy(
        f["features"][0]["geometry"]["coordinates"])), "overlap"),
    (lambda f: f.pop("hierarchy"), "does not exist"),
])
def test_bad_files_are_rejected_with_a_clear_error(tmp_path, mutate, message):
    from hub.store import HubStore

    store = HubStore(f"sqlite:///{tmp_path / 'h.db'}", tmp_path)
    store.migrate()
    data = sample_file()
    mutate(data)
    with pytest.raises(OrgDataError, match=message):
        import_grids(store, data)
    assert list_units(store) == []
    store.close()


def test_load_community_loads_people_and_devices(store):
    summary = load_community(store, load_raw())
    assert (summary.grids, summary.people, summary.devices, summary.department_contacts) == (5, 37, 41, 7)
    assert get_unit(store, "440402004005").name == "福石社区"
    assert len(list_units(store, level="grid", under="440402004005")) == 5
    leader = next(p for p in list_people(store, "440402004005001") if p.role == "grid_leader")
    assert leader.phone_device_id == "phone-fs-lead-01"
    kiosk = next(d for d in list_device_bindings(store, "440402004005003") if d.kind == "kiosk")
    assert kiosk.device_id == "kiosk-fs-03" and kiosk.owner_person_id is None
    assert load_community(store, load_raw()).units_created == 0  # idempotent
    assert export_grids(store, under="440402004005")["features"] == load_raw()["grids"]["features"]


def test_cli_load_sample(tmp_path, capsys):
    assert main(["hub", "community", "load-sample", "--data-dir", str(tmp_path)]) == 0
    assert "5 grids, 37 people, 41 devices, 7 department contacts" in capsys.readouterr().out
