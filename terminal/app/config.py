"""The app config file (TOML or JSON): who this device is, where the broker is, which grid and providers.

Example (TOML)::

    device_id = "kiosk-fs-01"
    deployment_key = "a-secret-of-at-least-16-bytes"
    broker = "mqtt://127.0.0.1:1883"
    data_dir = "/var/lib/gridline/kiosk-fs-01"   # default: ./gridline-data/<device_id>
    language = "zh"                              # zh | en
    idle_timeout_s = 90                          # kiosk: back to the home screen after this
    patrol_interval_s = 10                       # tablet: one position sample per interval
    hub_url = "https://hub.example:8443"         # phone: where full task photos come from (device login)

    [grid]
    code = "440402004005001"
    name = "福石社区第一网格"
    bbox = [113.5300, 22.2700, 113.5330, 22.2730]  # lon_min, lat_min, lon_max, lat_max (the pick-on-map grid)
    outline = [[113.5300, 22.2700], [113.5330, 22.2700], [113.5330, 22.2730]]  # optional ring: the patrol map

    [position]   # fixed | simulated | gpsd | nmea | plyer (terminal.position.position_from_config)
    kind = "fixed"
    lat = 22.2715
    lon = 113.5315

    [camera]     # synthetic | file | opencv (terminal.camera.camera_from_config)
    kind = "synthetic"
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol.topics import valid_device_id
from terminal.app.i18n import LANGUAGES

PROFILES = ("kiosk", "tablet", "phone")


class ConfigError(ValueError):
    """The config file cannot run an app; the message names the file and the field."""


@dataclass(frozen=True)
class GridConfig:
    code: str = ""
    name: str = ""
    bbox: tuple[float, float, float, float] | None = None  # lon_min, lat_min, lon_max, lat_max
    outline: tuple[tuple[float, float], ...] | None = None  # the grid's ring, (lon, lat) pairs: the patrol map


@dataclass(frozen=True)
class AppConfig:
    device_id: str
    broker: str
    data_dir: Path
    deployment_key: str | None = None
    language: str = "zh"
    grid: GridConfig = GridConfig()
    position: dict[str, Any] = field(default_factory=dict)
    camera: dict[str, Any] = field(default_factory=lambda: {"kind": "synthetic"})
    taxonomy: Path | None = None
    idle_timeout_s: float = 90.0
    patrol_interval_s: float = 10.0
    fullscreen: bool | None = None  # None: the profile decides (kiosk yes, others no)
    font: Path | None = None
    hub_url: str | None = None  # the hub's HTTP(S) address: the phone fetches full task photos from it


def read_config_file(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config {path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a table/object at the top level")
    return data


def load_config(path: Path | str) -> AppConfig:
    return parse_config(read_config_file(path), source=str(path), base=Path(path).parent)


def parse_config(data: dict[str, Any], *, source: str = "config", base: Path | None = None) -> AppConfig:
    def need(key: str) -> Any:
        if key not in data or data[key] in (None, ""):
            raise ConfigError(f"{source}: '{key}' is required")
        return data[key]

    def local(value: Any) -> Path:
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() or base is None else base / p

    device_id = str(need("device_id"))
    if not valid_device_id(device_id):
        raise ConfigError(f"{source}: device_id {device_id!r} must be 3-64 of a-z 0-9 _ - (starting alphanumeric)")
    language = str(data.get("language", "zh"))
    if language not in LANGUAGES:
        raise ConfigError(f"{source}: language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    key = data.get("deployment_key")
    if key is not None and len(str(key).encode()) < 16:
        raise ConfigError(f"{source}: deployment_key must be at least 16 bytes")
    grid_raw = data.get("grid") or {}
    bbox = grid_raw.get("bbox")
    if bbox is not None:
        try:
            bbox = tuple(float(v) for v in bbox)
        except (TypeError, ValueError):
            bbox = ()
        if len(bbox) != 4 or not (bbox[0] < bbox[2] and bbox[1] < bbox[3]):
            raise ConfigError(f"{source}: grid.bbox must be [lon_min, lat_min, lon_max, lat_max]")
    outline = grid_raw.get("outline")
    if outline is not None:
        try:
            outline = tuple((float(lon), float(lat)) for lon, lat in outline)
        except (TypeError, ValueError):
            outline = ()
        if len(outline) < 3:
            raise ConfigError(f"{source}: grid.outline must be a list of at least 3 [lon, lat] pairs")
    for section in ("position", "camera"):
        if section in data and not isinstance(data[section], dict):
            raise ConfigError(f"{source}: [{section}] must be a table with a 'kind'")
    try:
        return AppConfig(
            device_id=device_id, broker=str(need("broker")),
            data_dir=local(data.get("data_dir") or Path("gridline-data") / device_id),
            deployment_key=None if key is None else str(key), language=language,
            grid=GridConfig(str(grid_raw.get("code", "")), str(grid_raw.get("name", "")), bbox, outline),
            position=dict(data.get("position") or {}), camera=dict(data.get("camera") or {"kind": "synthetic"}),
            taxonomy=local(data["taxonomy"]) if data.get("taxonomy") else None,
            idle_timeout_s=float(data.get("idle_timeout_s", 90.0)),
            patrol_interval_s=float(data.get("patrol_interval_s", 10.0)),
            fullscreen=data.get("fullscreen"), font=local(data["font"]) if data.get("font") else None,
            hub_url=str(data["hub_url"]) if data.get("hub_url") else None)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {exc}") from exc
