"""The sample community shipped for the demo and the tests: 福石社区 (Fushi), Qianshan street, Xiangzhou, Zhuhai.

Five grids with 15-digit codes (division 6 + street 3 + community 3 + serial 3), their people and devices.
Names are invented; the shape follows the public case study in shared/seeds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class SampleDevice:
    id: str
    kind: str  # kiosk | tablet | phone
    grid: str
    owner: str | None


@dataclass(frozen=True)
class SampleGrid:
    code: str
    name: str
    ring: tuple[tuple[float, float], ...]  # (lon, lat) pairs, closed, WGS-84

    def contains(self, lon: float, lat: float) -> bool:
        """Ray casting; enough for the demo's five simple polygons (routing proper uses shapely)."""
        inside = False
        pts = self.ring
        for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    def centre(self) -> tuple[float, float]:
        xs = [p[0] for p in self.ring[:-1]]
        ys = [p[1] for p in self.ring[:-1]]
        return sum(xs) / len(xs), sum(ys) / len(ys)

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.ring]
        ys = [p[1] for p in self.ring]
        return min(xs), min(ys), max(xs), max(ys)


@cache
def load_raw() -> dict:
    return json.loads(files(__package__).joinpath("fushi_community.json").read_text(encoding="utf-8"))


def grids() -> list[SampleGrid]:
    return [
        SampleGrid(f["properties"]["code"], f["properties"]["name"],
                   tuple(tuple(p) for p in f["geometry"]["coordinates"][0]))
        for f in load_raw()["grids"]["features"]
    ]


def devices() -> list[SampleDevice]:
    return [SampleDevice(d["id"], d["kind"], d["grid"], d.get("owner")) for d in load_raw()["devices"]]
