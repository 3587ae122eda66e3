"""``gridline terminal ...`` subcommands."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .simulate import XIANGZHOU, Ring, run_simulation


def register(subparsers: argparse._SubParsersAction) -> None:
    sim = subparsers.add_parser(
        "simulate", help="run N headless devices against a broker",
        description="Run N real terminal devices (real stores under DATA_DIR/<device_id>/) producing RATE "
                    "records per second each (all kinds together: ~10%% reports with 0-3 photos, ~15%% "
                    "check-ins, the rest patrol positions) for SECONDS, then wait for the hub's receipts. "
                    "The last line is 'simulate: created=C acknowledged=A pending=P', counted over the "
                    "whole data dir (a re-run resumes earlier outboxes). Exit 0 only if nothing is pending.")
    sim.add_argument("--broker", required=True, help="mqtt://[user:pass@]host:port")
    sim.add_argument("--count", type=int, default=3, help="number of devices (default 3)")
    sim.add_argument("--rate", type=float, default=1.0, help="records per second per device (default 1)")
    sim.add_argument("--for", dest="duration", type=float, default=10.0, metavar="SECONDS",
                     help="how long to produce records (default 10)")
    sim.add_argument("--data-dir", type=Path, required=True, help="where device stores live")
    sim.add_argument("--device-prefix", default="sim", help="device ids are PREFIX-000, PREFIX-001, ...")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--drain-timeout", type=float, default=60.0, metavar="T",
                     help="seconds to wait for receipts after producing (default 60)")
    sim.add_argument("--area", default=None,
                     help="'LAT,LON' base point (default Xiangzhou, Zhuhai 22.25,113.53) or a GeoJSON file of "
                          "grid polygons; devices patrol polygon i %% n")
    sim.set_defaults(func=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    base, areas = parse_area(args.area)
    totals = run_simulation(args.broker, args.data_dir, count=args.count, rate=args.rate, duration=args.duration,
                            device_prefix=args.device_prefix, seed=args.seed, drain_timeout=args.drain_timeout,
                            base=base, areas=areas)
    print(f"devices: {', '.join(totals.devices)}")
    print(f"created this run: {totals.created_this_run}")
    print(f"{'kind':<10}{'created':>9}{'acknowledged':>14}{'pending':>9}{'rejected':>10}{'thinned':>9}")
    for kind, t in totals.per_kind.items():
        print(f"{kind:<10}{t.created:>9}{t.acknowledged:>14}{t.pending:>9}{t.rejected:>10}{t.thinned:>9}")
    print("photos: " + (", ".join(f"{state}={n}" for state, n in sorted(totals.photos.items())) or "none"))
    print(totals.summary_line(), flush=True)
    return 0 if totals.drained else 1


def parse_area(area: str | None) -> tuple[tuple[float, float], list[Ring] | None]:
    if not area:
        return XIANGZHOU, None
    path = Path(area)
    if path.exists():
        return XIANGZHOU, polygons_from_geojson(json.loads(path.read_text(encoding="utf-8")))
    try:
        lat, lon = (float(part) for part in area.split(","))
    except ValueError:
        raise SystemExit(f"--area must be 'LAT,LON' or a GeoJSON file, got {area!r}") from None
    return (lat, lon), None


def polygons_from_geojson(doc: dict) -> list[Ring]:
    """Outer rings of every Polygon/MultiPolygon in a GeoJSON geometry, Feature or FeatureCollection."""
    kind = doc.get("type")
    if kind == "FeatureCollection":
        return [ring for feature in doc["features"] for ring in polygons_from_geojson(feature)]
    if kind == "Feature":
        return polygons_from_geojson(doc["geometry"])
    if kind == "Polygon":
        return [doc["coordinates"][0]]
    if kind == "MultiPolygon":
        return [polygon[0] for polygon in doc["coordinates"]]
    return []
