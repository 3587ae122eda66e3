"""The simulator: real devices, realistic mix, exact last line, resume on the same data dir."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from terminal.cli import parse_area
from terminal.simulate import PatrolRoute, route_in_polygon, run_simulation

from .fake_hub import FakeHub

LAST_LINE = r"simulate: created=(\d+) acknowledged=(\d+) pending=(\d+)"


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridline", "terminal", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_cli_drains_through_a_hub_and_prints_the_last_line(hub, own_broker, tmp_path, unique):
    result = run_cli(
        "--broker",
        own_broker.url,
        "--count",
        "3",
        "--rate",
        "8",
        "--for",
        "2",
        "--data-dir",
        str(tmp_path / "sim"),
        "--device-prefix",
        f"t{unique}",
        "--seed",
        "7",
        "--drain-timeout",
        "30",
    )
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    created = int(lines[1].split(": ")[1])
    assert lines[-1] == f"simulate: created={created} acknowledged={created} pending=0"
    assert 30 <= created <= 70  # 3 devices x 8/s x 2 s, with schedule jitter
    assert len(hub.records) == created
    kinds = {r.kind for r in hub.records.values()}
    assert "position" in kinds and len(kinds) >= 2
    assert sorted({r.device_id for r in hub.records.values()}) == [f"t{unique}-00{i}" for i in range(3)]
    assert all((tmp_path / "sim" / f"t{unique}-00{i}" / "terminal.db").exists() for i in range(3))


def test_rerun_on_same_data_dir_resumes_the_outbox(own_broker, tmp_path, unique):
    data_dir = tmp_path / "sim"
    prefix = f"t{unique}"
    # First run: no hub is listening, so nothing can be acknowledged.
    first = run_simulation(
        own_broker.url, data_dir, count=2, rate=10, duration=1, device_prefix=prefix, drain_timeout=0.5
    )
    assert first.created == first.pending > 0 and first.acknowledged == 0 and not first.drained
    with FakeHub(own_broker.url, device_prefix=prefix) as fake:
        second = run_simulation(
            own_broker.url, data_dir, count=2, rate=10, duration=0.5, device_prefix=prefix, drain_timeout=30
        )
        assert second.drained and second.pending == 0
        assert second.created == first.created + second.created_this_run
        assert second.acknowledged == second.created == len(fake.records)


def test_cli_reports_undrained_runs_with_exit_1(tmp_path, unique):
    result = run_cli(
        "--broker",
        "mqtt://127.0.0.1:1",
        "--count",
        "1",
        "--rate",
        "5",
        "--for",
        "0.5",
        "--data-dir",
        str(tmp_path),
        "--device-prefix",
        f"t{unique}",
        "--drain-timeout",
        "0.2",
    )
    assert result.returncode == 1
    last = result.stdout.strip().splitlines()[-1]
    created = int(result.stdout.split("created this run: ")[1].split()[0])
    assert created > 0 and last == f"simulate: created={created} acknowledged=0 pending={created}"


def test_patrols_stay_inside_their_grid_polygon(tmp_path):
    square = [[113.530, 22.250], [113.534, 22.250], [113.534, 22.254], [113.530, 22.254], [113.530, 22.250]]
    route = route_in_polygon(square)
    for t in range(0, 2000, 37):
        lat, lon, heading = route.at(t)
        assert 22.250 < lat < 22.254 and 113.530 < lon < 113.534 and 0 <= heading < 360
    assert route.length > 1000  # about 4 x 350 m
    geojson = tmp_path / "grids.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"grid": "XZ-01"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    assert parse_area(str(geojson))[1] == [square]
    assert parse_area("22.27,113.55") == ((22.27, 113.55), None)


def test_route_walks_at_constant_speed():
    route = PatrolRoute([(22.25, 113.53), (22.26, 113.53)], speed_mps=10)
    lat0, _, heading = route.at(0)
    lat1, _, _ = route.at(100)  # 1 km north
    assert abs((lat1 - lat0) * 111_320 - 1000) < 1 and heading == 0
