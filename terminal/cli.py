"""``gridline terminal ...`` subcommands."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from terminal.simulate import XIANGZHOU, Ring, run_simulation

if TYPE_CHECKING:
    from terminal.app.config import AppConfig


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
    register_run(subparsers)
    register_enroll(subparsers)


def register_enroll(subparsers: argparse._SubParsersAction) -> None:
    enroll = subparsers.add_parser(
        "enroll", help="exchange a one-time enrolment code for this device's own broker credentials",
        description="POST the code (as printed by 'gridline hub devices add', or the text of its QR) to the hub and "
                    "store the device's broker account in DATA_DIR/credentials.json, readable only by this user. "
                    "The device then connects with it (terminal run / Device pick it up from DATA_DIR).")
    enroll.add_argument("--hub", help="hub address, http://host:port (optional when the QR text carries it)")
    enroll.add_argument("--code", required=True, help="XXXX-XXXX-XXXX, or the QR text gridline://enroll?...")
    enroll.add_argument("--data-dir", type=Path, required=True, help="the device's data dir (its config's data_dir)")
    enroll.set_defaults(func=enroll_command)


def enroll_command(args: argparse.Namespace) -> int:
    from terminal.enroll import EnrollError, enroll, parse_enrolment

    try:
        code, hub_from_qr = parse_enrolment(args.code)
        hub = args.hub or hub_from_qr
        if not hub:
            raise EnrollError("give --hub http://host:port")
        credentials = enroll(hub, code, args.data_dir)
    except EnrollError as exc:
        print(f"gridline terminal enroll: {exc}")
        return 2
    print(f"enrolled as {credentials.device_id}; broker {credentials.broker_url}; "
          f"credentials in {args.data_dir / 'credentials.json'} (mode 600)")
    return 0


def register_run(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run", help="start a terminal app (kiosk, patrol tablet, phone)",
        description="Start the Kivy app for PROFILE with the device, broker, grid and providers named in the config "
                    "file (TOML or JSON; see terminal/app/config.py). With --screenshot, render (offscreen when "
                    "there is no display), save a PNG of the home screen (or --screen NAME) after --for seconds "
                    "and exit.")
    run.add_argument("--profile", required=True, choices=["kiosk", "tablet", "phone"])
    run.add_argument("--config", required=True, type=Path, metavar="FILE")
    run.add_argument("--screenshot", type=Path, metavar="FILE", help="save a PNG of the screen and exit")
    run.add_argument("--for", dest="duration", type=float, default=None, metavar="SECONDS",
                     help="with --screenshot: when to take it (default 1); otherwise: quit after SECONDS")
    run.add_argument("--screen", default="home",
                     help="start on this screen (kiosk: home, report, checkin, notices; tablet: home, report; "
                          "phone: home, task); 'all' with --screenshot DIR saves DIR/<profile>_<screen>.png for each")
    run.add_argument("--language", choices=["zh", "en"], default=None, help="override the config's language")
    run.add_argument("--offline", action="store_true", help="do not connect to the broker (demo, screenshots)")
    run.add_argument("--enroll", metavar="CODE",
                     help="first enrol with this one-time code (or QR text) at --hub, then run as the device it names "
                          "(as printed by 'gridline demo' or 'gridline hub devices add')")
    run.add_argument("--hub", help="with --enroll: the hub address, http://host:port")
    run.add_argument("--data-dir", type=Path, help="the device's data dir (overrides the config's data_dir)")
    run.add_argument("--broker", help="broker URL (overrides the config's, and the one the hub handed at enrolment)")
    run.set_defaults(func=run_command)


def enrolled_config(config: AppConfig, args: argparse.Namespace) -> AppConfig:
    """The config as this run uses it: its data dir (``--data-dir``); enrolled there (``--enroll`` now, or earlier),
    the enrolled device id, the broker the hub handed over and the hub's address; ``--broker`` last."""
    import dataclasses

    from terminal.enroll import (
        CredentialsError,
        DeviceCredentials,
        EnrollError,
        enroll,
        load_credentials,
        parse_enrolment,
    )

    credentials: DeviceCredentials | None
    if args.data_dir:
        config = dataclasses.replace(config, data_dir=args.data_dir)
    try:
        if args.enroll:
            code, hub_from_qr = parse_enrolment(args.enroll)
            hub = args.hub or hub_from_qr
            if not hub:
                raise EnrollError("--enroll needs --hub http://host:port")
            credentials = enroll(hub, code, config.data_dir)
            print(f"enrolled as {credentials.device_id}", flush=True)
        else:
            credentials = load_credentials(config.data_dir)
    except (EnrollError, CredentialsError) as exc:
        raise SystemExit(f"gridline terminal run: {exc}") from None
    if credentials is not None:
        # the hub it enrolled at is where the phone fetches full task photos, unless the config names another
        config = dataclasses.replace(config, device_id=credentials.device_id,
                                     broker=credentials.broker_url or config.broker,
                                     hub_url=config.hub_url or credentials.hub_url)
    if args.broker:
        config = dataclasses.replace(config, broker=args.broker)
    return config


def run_command(args: argparse.Namespace) -> int:
    import dataclasses
    import os

    from terminal.app.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise SystemExit(f"gridline terminal run: {exc}") from None
    if args.language:
        config = dataclasses.replace(config, language=args.language)
    config = enrolled_config(config, args)
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    wanted = config.fullscreen if config.fullscreen is not None else args.profile == "kiosk"
    fullscreen = wanted and not args.screenshot

    from terminal.app.ui.boot import FontMissing, prepare_kivy, register_cjk_font

    prepare_kivy(args.profile, offscreen=bool(args.screenshot) and headless, fullscreen=fullscreen)
    try:
        register_cjk_font(config.font)
    except FontMissing as exc:
        raise SystemExit(f"gridline terminal run: {exc}") from None
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp, screen_names

    if args.screen == "all" and not args.screenshot:
        raise SystemExit("gridline terminal run: --screen all needs --screenshot DIR")
    if args.screen != "all" and args.screen not in screen_names(args.profile):
        raise SystemExit(f"gridline terminal run: profile {args.profile} has screens "
                         f"{', '.join(screen_names(args.profile))}, not {args.screen!r}")
    try:
        context = TerminalContext(config, args.profile)
    except (ConfigError, ValueError) as exc:
        raise SystemExit(f"gridline terminal run: {exc}") from None
    app = GridlineApp(context, start_screen=args.screen, screenshot=args.screenshot, run_for=args.duration,
                      connect=not args.offline)
    app.run()
    if args.screenshot:
        if not app.shots_saved:
            print(f"no screenshot was saved to {args.screenshot}")
            return 1
        for path in app.shots_saved:
            print(f"screenshot: {path}")
    return 0


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


def polygons_from_geojson(doc: dict[str, Any]) -> list[Ring]:
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
