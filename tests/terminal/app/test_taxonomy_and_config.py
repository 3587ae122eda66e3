"""The bundled category list matches the hub's, and app configs (TOML/JSON) parse or fail clearly."""
from __future__ import annotations

import json

import pytest

from hub.org.taxonomy import default_taxonomy
from terminal.app.config import ConfigError, load_config
from terminal.app.taxonomy import TaxonomyFileError, load_categories


def test_bundled_taxonomy_is_the_hubs_default():
    ours = {c.code: (c.name_zh, c.name_en, c.urgent) for c in load_categories()}
    hubs = {c.code: (c.name_zh, c.name_en, c.urgent) for c in default_taxonomy() if c.enabled}
    assert ours == hubs


def test_events_come_first_and_a_deployment_file_can_replace_the_list(tmp_path):
    codes = [c.code for c in load_categories()]
    assert codes[0].startswith("E") and codes[-1].startswith("C")
    own = tmp_path / "own.json"
    own.write_text(
        json.dumps(
            {
                "major_classes": [],
                "categories": [
                    {
                        "code": "E0901",
                        "kind": "event",
                        "major_code": "09",
                        "name_zh": "高空抛物",
                        "name_en": "Thrown objects",
                    },
                    {
                        "code": "E0902",
                        "kind": "event",
                        "major_code": "09",
                        "name_zh": "停用",
                        "name_en": "Off",
                        "enabled": False,
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    assert [c.code for c in load_categories(own)] == ["E0901"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"categories": [{"code": "E1"}]}', encoding="utf-8")
    with pytest.raises(TaxonomyFileError):
        load_categories(bad)


TOML = """
device_id = "kiosk-fs-01"
deployment_key = "0123456789abcdef-key"
broker = "mqtt://127.0.0.1:1883"
data_dir = "data/kiosk"
language = "en"
idle_timeout_s = 60

[grid]
code = "440402004005001"
name = "福石社区第一网格"
bbox = [113.5300, 22.2700, 113.5330, 22.2730]

[position]
kind = "fixed"
lat = 22.2715
lon = 113.5315

[camera]
kind = "file"
paths = ["street.jpg"]
"""


def test_toml_and_json_configs(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(TOML, encoding="utf-8")
    config = load_config(path)
    assert config.device_id == "kiosk-fs-01" and config.language == "en" and config.idle_timeout_s == 60
    assert config.data_dir == tmp_path / "data" / "kiosk"  # relative to the config file
    assert config.grid.bbox == (113.53, 22.27, 113.533, 22.273) and config.grid.name == "福石社区第一网格"
    assert config.position["kind"] == "fixed" and config.camera == {"kind": "file", "paths": ["street.jpg"]}
    as_json = tmp_path / "phone.json"
    as_json.write_text(
        json.dumps({"device_id": "phone-fs-lead-01", "broker": "mqtt://h:1883", "position": {"kind": "gpsd"}}),
        encoding="utf-8",
    )
    config = load_config(as_json)
    assert config.language == "zh" and config.deployment_key is None and config.camera == {"kind": "synthetic"}


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"device_id": "Kiosk 1"}, "device_id"),
        ({"broker": ""}, "'broker' is required"),
        ({"language": "fr"}, "language"),
        ({"deployment_key": "short"}, "deployment_key"),
        ({"grid": {"bbox": [1, 2, 0, 3]}}, "grid.bbox"),
        ({"camera": "opencv"}, "[camera]"),
    ],
)
def test_bad_configs_name_the_field(tmp_path, change, complaint):
    data = {"device_id": "kiosk-fs-01", "broker": "mqtt://h:1883", "position": {"kind": "fixed", "lat": 1, "lon": 2}}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data | change), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert complaint in str(error.value) and "c.json" in str(error.value)


def test_unreadable_config_is_a_config_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("device_id = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.parametrize("profile", ["kiosk", "tablet", "phone"])
def test_shipped_example_configs_build_a_context(profile, tmp_path):
    from pathlib import Path

    import terminal.app
    from terminal.app.config import parse_config, read_config_file
    from terminal.app.context import TerminalContext

    path = Path(terminal.app.__file__).parent / "examples" / f"{profile}.toml"
    data = read_config_file(path) | {"data_dir": str(tmp_path / profile)}  # keep the test out of the repo
    ctx = TerminalContext(parse_config(data, source=str(path)), profile)
    try:
        assert ctx.device.device_id == data["device_id"]
        assert (ctx.checkin is not None) == (profile == "kiosk")
    finally:
        ctx.stop()
