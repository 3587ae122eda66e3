from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from hub.api.deps import BridgeDep, StoreDep
from hub.api.schemas import CalendarCoverageOut, HealthOut
from hub.org.workdays import Coverage, DeploymentCalendar

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(store: StoreDep, bridge: BridgeDep, response: Response, request: Request) -> HealthOut:
    """200 when the database answers and the broker is connected (or the bridge is disabled), else 503. ``calendar``
    lists the years the working calendar knows holidays for and warns when this year or next is missing."""
    db_ok = store.ping()
    if bridge is None:
        broker, queue_depth, counters, stats = "disabled", 0, {}, None
    else:
        stats = bridge.stats
        broker = "connected" if bridge.connected.is_set() else "disconnected"
        queue_depth = bridge.queue_depth
        counters = {k: v for k, v in asdict(stats).items() if isinstance(v, int)}
    healthy = db_ok and broker != "disconnected"
    if not healthy:
        response.status_code = 503
    return HealthOut(status="ok" if healthy else "degraded", db_ok=db_ok, broker=broker, queue_depth=queue_depth,
                     auth_failure=stats.auth_failure if stats else None,
                     last_db_error=stats.last_db_error if stats else None, counters=counters,
                     worker=bridge.settings.client_id if bridge is not None else None,
                     calendar=_calendar(request))


def _calendar(request: Request) -> CalendarCoverageOut | None:
    calendar = getattr(request.app.state, "calendar", None)
    if not isinstance(calendar, DeploymentCalendar):
        return None
    found: Coverage = calendar.coverage()
    return CalendarCoverageOut(covered_years=found.covered_years, local_years=found.local_years,
                               missing=found.missing, warning=found.warning)
