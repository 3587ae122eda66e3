"""``GET /metrics``: Prometheus' text format (hub/api/prometheus.py says what is in it).

Who may scrape: with ``metrics_token`` set, whoever sends it as a bearer token; without, only clients on this host
(loopback) - the figures carry no personal data, but case counts per state are the community's business."""
from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.api.prometheus import exposition

router = APIRouter(tags=["operations"])


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"  # Starlette's TestClient


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value()
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "metrics need the metrics token (Authorization: Bearer ...)")
    elif not _loopback(request.client.host if request.client else None):
        raise HTTPException(403, "metrics answer this host only unless metrics_token is set")
    body, content_type = await run_in_threadpool(exposition, request.app.state.store, request.app.state.metrics)
    return Response(body, media_type=content_type)
