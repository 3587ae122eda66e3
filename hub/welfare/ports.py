"""What hub/welfare/observations.py and watchlist.py need of the running watch (``WelfareWatch`` has it all),
as a Protocol: they are called by the watch, so importing it would be a circle."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hub.cases.rows import CaseRow
from hub.cases.service import CaseService
from hub.store.db import Database
from hub.welfare.enrolment import Enrolment, EnrolmentRegistry


class Watch(Protocol):
    db: Database
    service: CaseService
    tz: ZoneInfo
    category: str
    enrolments: EnrolmentRegistry
    failures: int
    clock: Callable[[], datetime]

    def is_due(self, enrolment: Enrolment, day: date) -> bool: ...

    def step(self, case_id: str, check_id: str, transition: str, **extra: Any) -> CaseRow | None: ...
