"""What the control room reads of patrols: sessions with their checkpoints, the checkpoints nobody visited in a
period (missed), and the share of each grid's checkpoints visited in a period (coverage, e.g. weekly)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.org.repo import subtree_codes
from hub.patrols import repo
from hub.patrols.checkpoints import Checkpoint, CheckpointRegistry
from hub.store.db import Database


@dataclass(frozen=True)
class GridCoverage:
    grid_code: str
    checkpoints: int
    visited: int  # distinct checkpoints with a valid visit in the period
    flagged_visits: int  # visits outside the radius (or without a fix)
    failed_items: int
    sessions: int

    @property
    def share(self) -> float:
        return self.visited / self.checkpoints if self.checkpoints else 0.0


def _valid_visits(db: Database, points: list[Checkpoint], since: datetime, until: datetime) -> list[dict[str, Any]]:
    with db.read() as conn:
        return repo.visits(conn, grids={p.grid_code for p in points}, since=since, until=until)


def missed(db: Database, under: str | None, since: datetime, until: datetime) -> list[Checkpoint]:
    """Active checkpoints in the subtree with no valid visit (within radius) in [since, until)."""
    points = CheckpointRegistry(db).listed(under=under)
    if not points:
        return []
    seen = {v["checkpoint_id"] for v in _valid_visits(db, points, since, until) if v["within_radius"]}
    return [p for p in points if p.id not in seen]


def coverage(db: Database, under: str | None, since: datetime, until: datetime) -> list[GridCoverage]:
    points = CheckpointRegistry(db).listed(under=under)
    if not points:
        return []
    grids = sorted({p.grid_code for p in points})
    visits = _valid_visits(db, points, since, until)
    with db.read() as conn:
        sessions = repo.sessions(conn, grids=grids, since=since, until=until)
    result = []
    for grid in grids:
        mine = [v for v in visits if v["grid_code"] == grid]
        result.append(GridCoverage(
            grid, sum(1 for p in points if p.grid_code == grid),
            len({v["checkpoint_id"] for v in mine if v["within_radius"]}),
            sum(1 for v in mine if not v["within_radius"]), sum(len(v["failed_items"]) for v in mine),
            sum(1 for s in sessions if s["grid_code"] == grid)))
    return result


def sessions(db: Database, under: str | None, since: datetime, until: datetime) -> list[dict[str, Any]]:
    points = CheckpointRegistry(db).listed(under=under, active_only=False)
    with db.read() as conn:  # the grids of the subtree, also those without checkpoints
        grids = set(subtree_codes(conn, under)) if under else {p.grid_code for p in points}
        return repo.sessions(conn, grids=grids, since=since, until=until)
