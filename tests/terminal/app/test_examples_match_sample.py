"""The shipped example configs describe the sample community the demo runs (hub/sample): a real grid of it, its box
and outline, and positions inside that grid, so an app joined to the demo reports from where its grid is."""
from __future__ import annotations

from pathlib import Path

import pytest

import terminal.app
from hub import sample
from terminal.app.config import load_config

EXAMPLES = Path(terminal.app.__file__).parent / "examples"


@pytest.mark.parametrize("profile", ["kiosk", "tablet", "phone"])
def test_example_config_is_a_grid_of_the_sample_community(profile):
    config = load_config(EXAMPLES / f"{profile}.toml")
    grids = {g.code: g for g in sample.grids()}
    grid = grids[config.grid.code]
    assert config.grid.name == grid.name
    assert config.grid.bbox == pytest.approx(grid.bbox())
    if config.grid.outline:
        assert [list(p) for p in config.grid.outline] == [list(p) for p in grid.ring[:-1]]
    position = config.position
    places = [(position["lat"], position["lon"])] if position["kind"] == "fixed" else position["waypoints"]
    assert all(grid.contains(lon, lat) for lat, lon in places), places
    assert config.broker.startswith("mqtt://")
