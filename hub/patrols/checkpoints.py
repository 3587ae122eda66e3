"""Patrol checkpoints (巡查点) an admin defines per grid - a QR at a gate, a fire lane, a charging shed - with a
radius and a hazard checklist, and an optional route per grid; what each grid's tablets get as ``checkpoints``."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.org import repo as org_repo
from hub.patrols import repo
from hub.store.clock import utc_now
from hub.store.db import Database
from protocol import ChecklistItem, CheckpointInfo, CheckpointList, checkpoint_qr_text

DEFAULT_CHECKLIST = (  # the hazards Wenhualu's 红袖标 check (消防通道 / 电动车 / 燃气)
    ChecklistItem(code="fire_lane_clear", text="消防通道畅通", text_en="Fire lane clear", category="E0504"),
    ChecklistItem(code="no_ebike_charging", text="电动车不在楼道充电", text_en="No e-bike charging indoors",
                  category="E0505"),
    ChecklistItem(code="gas_safe", text="燃气无异味、管线完好", text_en="No gas smell, pipes intact", category="E0403"),
)


class CheckpointError(ValueError):
    """Bad checkpoint input (zh / en)."""


@dataclass(frozen=True)
class Checkpoint:
    id: str
    grid_code: str
    name: str
    lat: float
    lon: float
    radius_m: float
    checklist: list[ChecklistItem]
    active: bool
    created_by: str
    created_at: datetime

    @property
    def qr_text(self) -> str:
        return checkpoint_qr_text(self.id)

    def info(self) -> CheckpointInfo:
        return CheckpointInfo(id=self.id, name=self.name, lat=self.lat, lon=self.lon, radius_m=self.radius_m,
                              checklist=self.checklist)


def _of(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(**row | {"checklist": [ChecklistItem.model_validate(i) for i in row["checklist"]]})


class CheckpointRegistry:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now):
        self.db, self.clock = db, clock

    def create(self, grid_code: str, name: str, lat: float, lon: float, radius_m: float, actor: str,
               checklist: list[ChecklistItem] | None = None) -> Checkpoint:
        name = name.strip()
        if not name or len(name) > 64:
            raise CheckpointError("名称须为 1–64 字 / the name must be 1..64 characters")
        if not 5 <= radius_m <= 1000:
            raise CheckpointError("半径须在 5–1000 米之间 / the radius must be 5..1000 m")
        items = list(DEFAULT_CHECKLIST if checklist is None else checklist)
        if len({i.code for i in items}) != len(items):
            raise CheckpointError("检查项代码重复 / checklist item codes must be unique")
        with self.db.write() as conn:
            grid = org_repo.unit(conn, grid_code)
            if grid is None or grid.level != "grid":
                raise CheckpointError(f"{grid_code} 不是网格 / {grid_code!r} is not a grid")
            known = org_repo.category_codes(conn)
            unknown = sorted({i.category for i in items} - known)
            if unknown:
                raise CheckpointError(f"未知类别 {unknown} / unknown categories {unknown}")
            row = {"id": f"cp-{secrets.token_hex(6)}", "grid_code": grid_code, "name": name, "lat": lat,
                   "lon": lon, "radius_m": radius_m, "checklist": [i.model_dump() for i in items], "active": True,
                   "created_by": actor, "created_at": self.clock()}
            repo.insert_checkpoint(conn, row)
        return _of(row)

    def get(self, checkpoint_id: str) -> Checkpoint | None:
        with self.db.read() as conn:
            row = repo.checkpoint(conn, checkpoint_id)
        return _of(row) if row else None

    def listed(self, *, under: str | None = None, active_only: bool = True) -> list[Checkpoint]:
        with self.db.read() as conn:
            return [_of(r) for r in repo.checkpoints(conn, under=under, active_only=active_only)]

    def retire(self, checkpoint_id: str) -> None:
        with self.db.write() as conn:
            repo.set_checkpoint_active(conn, checkpoint_id, False)

    def set_route(self, grid_code: str, checkpoint_ids: list[str], actor: str) -> list[str]:
        with self.db.write() as conn:
            mine = {r["id"] for r in repo.checkpoints(conn, grids=[grid_code])}
            strangers = [c for c in checkpoint_ids if c not in mine]
            if strangers or len(set(checkpoint_ids)) != len(checkpoint_ids):
                raise CheckpointError(f"路线含非本网格或重复的巡查点 {strangers} / the route names checkpoints not "
                                      f"in this grid, or twice: {strangers}")
            repo.save_route(conn, grid_code, checkpoint_ids, actor, self.clock())
        return checkpoint_ids

    def lists_by_grid(self) -> dict[str, CheckpointList]:
        """What each grid's tablets get: its active checkpoints and its route (a grid whose checkpoints were all
        retired gets an empty list, so its tablets forget them)."""
        with self.db.read() as conn:
            rows = [_of(r) for r in repo.checkpoints(conn, active_only=False)]
            routes = repo.routes(conn, {c.grid_code for c in rows})
        grids: dict[str, list[Checkpoint]] = {c.grid_code: [] for c in rows}  # all retired: an empty list
        for c in rows:
            if c.active:
                grids[c.grid_code].append(c)
        return {g: CheckpointList(grid_code=g, checkpoints=[c.info() for c in found], route=routes.get(g, []))
                for g, found in grids.items()}
