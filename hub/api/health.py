from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response

from hub.api.deps import BridgeDep, StoreDep
from hub.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(store: StoreDep, bridge: BridgeDep, response: Response) -> HealthOut:
    """200 when the database answers and the broker is connected (or the bridge is disabled), else 503."""
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
                     worker=bridge.settings.client_id if bridge is not None else None)
