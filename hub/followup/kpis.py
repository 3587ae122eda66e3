"""回访率 and 满意率 by grid, category and period (closings in [start, end); skipped = not sampled: nowhere).

- ``followup_rate`` 回访率 = answered / due; due = follow-ups whose window is over, or already answered or called
  without reaching anyone (未联系上 counts as due, not as followed up).
- ``satisfaction_rate`` 满意率 = (满意 satisfied + 基本满意 basically_satisfied) / answered.
Both are None when their denominator is 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.followup import repo
from hub.store import HubStore

GROUPINGS = ("grid", "category")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class FollowupKpis:
    key: str | None = None
    due: int = 0
    answered: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    not_reached: int = 0
    overdue: int = 0

    @property
    def followup_rate(self) -> float | None:
        return _ratio(self.answered, self.due)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.satisfied + self.basically_satisfied, self.answered)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"followup_rate": self.followup_rate, "satisfaction_rate": self.satisfaction_rate}


def followup_kpis(store: HubStore, start: datetime, end: datetime, now: datetime, *, by: str | None = None,
                  scope_units: sa.Select[str] | None = None) -> list[FollowupKpis]:
    """One total (``by`` None) or one row per grid / category."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    with store.read() as conn:
        rows = repo.kpi_counts(conn, start, end, now, by=by, scope_units=scope_units)
    if by is None:
        return [FollowupKpis(**(rows[0] if rows else {}))]
    return [FollowupKpis(**r) for r in rows]
