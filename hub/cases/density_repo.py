"""Where cases were reported: their positions only (no resident data), for the map's density layer
(:mod:`hub.cases.density` bins them)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa

from hub.cases.kpi_repo import in_unit
from hub.store.tables import cases


def reported_positions(conn: sa.Connection, *, start: datetime, end: datetime, unit: str | None,
                       category: str | None) -> Iterator[tuple[float, float]]:
    """(lat, lon) of every case opened (``created_at``) in [start, end) with a position, in ``unit``'s subtree
    (None: everywhere) and of ``category`` (None: any). Streamed: a year of a city's cases is 100k rows."""
    c = cases.c
    where = [c.created_at >= start, c.created_at < end, c.lat.is_not(None), c.lon.is_not(None)]
    if unit is not None:
        where.append(in_unit(unit))
    if category is not None:
        where.append(c.category_code == category)
    for lat, lon in conn.execute(sa.select(c.lat, c.lon).where(*where)):
        yield float(lat), float(lon)
