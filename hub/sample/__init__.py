"""The sample community shipped for the demo and the tests: 福石社区 (Fushi), Qianshan street, Xiangzhou, Zhuhai.

Five grids with 15-digit codes (division 6 + street 3 + community 3 + serial 3), their people and devices: per grid
a kiosk, a patrol volunteer's tablet and phones for the grid leader (网格长) and the grid worker (网格员). Above the
grids the staff a real community answers to: the community's control room (指挥中心值班员, a dispatcher at the
dashboard) and its field supervisor (网格监督员, who verifies what a grid leader resolved), the street's, district's
and city's duty supervisors (where escalations land), and the handling departments' contacts (职能部门: the property
company for a blocked fire lane, the street's sanitation station, ...), each with a phone so that the tasks the hub
sends them reach a device. The community-service roster (hub/services) has phones too: the community's legal adviser
(法律顾问), mediator (调解员), secretary (书记, a red dispute's lead) and committee member (居委会委员, a yellow one's),
each grid's property contact (物业, who takes 报修), and the street's 综治 staff a red dispute informs.
``welfare.json`` holds the 1+1+N watch's enrolments (hub/welfare/sample.py; the helpers are the grids' patrol
volunteers and workers) and ``checkpoints.json`` the patrol checkpoints (hub/patrols/sample.py), both loaded by the
demo after the community. Names are invented; the shape follows the public case study in shared/seeds.
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
    grid: str | None  # the grid it works in; None for the phones of staff above the grids
    owner: str | None
    unit: str = ""  # the unit it is bound to: its grid, or the community / street / district / city of its owner


@dataclass(frozen=True)
class SamplePerson:
    id: str
    name: str
    role: str  # hub.store.vocabulary.PERSON_ROLES
    unit: str


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
    return [SampleDevice(d["id"], d["kind"], d.get("grid"), d.get("owner"), d.get("grid") or d["unit"])
            for d in load_raw()["devices"]]


def people() -> list[SamplePerson]:
    return [SamplePerson(p["id"], p["name"], p["role"], p["unit"]) for p in load_raw()["people"]]
