"""The map's report density layer: where the cases reported in a period came from, counted per cell of about
100-200 m (:mod:`hub.cases.density`), within the operator's scope. Positions of cases only: no resident data."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request

from hub.api.deps import StoreDep
from hub.auth.http import ScopeDep
from hub.cases.density import bin_positions
from hub.cases.density_repo import reported_positions

router = APIRouter(prefix="/map", tags=["map"])

MAX_DAYS = 366


@router.get("/density")
def report_density(request: Request, store: StoreDep, scope: ScopeDep,
                   first_day: Annotated[date, Query(alias="from", description="first local day (YYYY-MM-DD)")],
                   last_day: Annotated[date, Query(alias="to", description="last local day, inclusive")],
                   cell_m: Annotated[float, Query(ge=50, le=1000, description="cell edge in metres")] = 150,
                   unit: Annotated[str | None, Query(description="only cases in this unit's subtree")] = None,
                   category: Annotated[str | None, Query(description="only this category code")] = None,
                   ) -> dict[str, Any]:
    """Cases reported (opened) from ``from`` to ``to`` (local days in the deployment's time zone) counted per
    cell: ``cells`` are ``{south, west, north, east, n}``, densest first; ``max`` is the densest cell's count."""
    if last_day < first_day:
        raise HTTPException(422, "need from <= to")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise HTTPException(422, f"at most {MAX_DAYS} days")
    unit = scope.narrow(unit)
    zone = ZoneInfo(request.app.state.settings.time_zone)
    try:
        start = datetime.combine(first_day, time(0), zone).astimezone(UTC)
        end = datetime.combine(last_day + timedelta(days=1), time(0), zone).astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(422, "时间超出范围 / from/to out of range") from None
    with store.read() as conn:
        grid = bin_positions(reported_positions(conn, start=start, end=end, unit=unit, category=category), cell_m)
    cells = [{"south": round(s, 7), "west": round(w, 7), "north": round(s + grid.lat_step, 7),
              "east": round(w + grid.lon_step, 7), "n": n} for s, w, n in grid.cells]
    return {"start": start.isoformat(), "end": end.isoformat(), "cell_m": grid.cell_m, "unit": unit,
            "total": grid.total, "max": max((c["n"] for c in cells), default=0), "cells": cells}
