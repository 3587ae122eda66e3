"""The sample community's patrol checkpoints (hub/sample/checkpoints.json), for the demo and tests.

Load the community and the taxonomy first (hub.org.geojson_io.load_community, hub.org.taxonomy.install_taxonomy):
the grids and the checklist's categories must exist. Goes through :class:`CheckpointRegistry`, so every checkpoint
is checked as an admin's would be; the hub gives each its id (its QR text, ``GLCP:{id}``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files

from hub.patrols.checkpoints import CheckpointRegistry
from hub.store.clock import utc_now
from hub.store.db import Database
from protocol import ChecklistItem


@dataclass(frozen=True)
class SampleCheckpoint:
    grid_code: str
    name: str
    lat: float
    lon: float
    radius_m: float
    checklist: list[ChecklistItem] | None  # None: the default checklist


@dataclass(frozen=True)
class SampleCheckpoints:
    checkpoints: list[SampleCheckpoint]
    routes: dict[str, list[str]]  # grid → its checkpoints' names in walking order
    defined_by: str


def sample_checkpoints() -> SampleCheckpoints:
    """The shipped file, parsed (checklist item codes resolved against its ``checklist_items``)."""
    raw = json.loads(files("hub.sample").joinpath("checkpoints.json").read_text(encoding="utf-8"))
    items = {code: ChecklistItem(code=code, **item) for code, item in raw["checklist_items"].items()}
    points = [SampleCheckpoint(p["grid_code"], p["name"], float(p["lat"]), float(p["lon"]), float(p["radius_m"]),
                               [items[c] for c in p["checklist"]] if "checklist" in p else None)
              for p in raw["checkpoints"]]
    return SampleCheckpoints(points, {g: list(names) for g, names in raw["routes"].items()}, raw["defined_by"])


def load_sample_checkpoints(db: Database, *, clock: Callable[[], datetime] = utc_now) -> int:
    """Define the sample checkpoints not yet defined (by grid and name; a retired one stays retired) and the routes
    of grids that have none yet (an admin's route is kept); returns how many checkpoints were added (re-running
    adds none)."""
    sample = sample_checkpoints()
    registry = CheckpointRegistry(db, clock=clock)
    have = {(c.grid_code, c.name): c.id for c in registry.listed(active_only=False)}
    added = 0
    for point in sample.checkpoints:
        if (point.grid_code, point.name) not in have:
            made = registry.create(point.grid_code, point.name, point.lat, point.lon, point.radius_m,
                                   sample.defined_by, checklist=point.checklist)
            have[(point.grid_code, point.name)] = made.id
            added += 1
    lists = registry.lists_by_grid()
    for grid, names in sample.routes.items():
        active = {c.id for c in lists[grid].checkpoints} if grid in lists else set()
        route = [have[(grid, name)] for name in names if have.get((grid, name)) in active]
        if route and not (lists[grid].route if grid in lists else []):
            registry.set_route(grid, route, sample.defined_by)
    return added
