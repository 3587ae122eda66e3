"""The control room's live stream (Server-Sent Events) and the feed's initial page.

``GET /api/live/events`` streams, within the signed-in operator's subtree:

- ``case``: an applied case event (new report, duplicate, filing, dispatch, ..., escalation); its SSE ``id``
  is the case event id, so a browser that reconnects with ``Last-Event-ID`` gets what it missed straight
  from the audit trail (even across a hub restart);
- ``device``: a terminal's presence changed (online/offline);
- ``positions``: ``{"p": [[device, lat, lon, accuracy_m, device_time_ms], ...]}``, the newest fix per device,
  at most one message a second;
- ``reset``: the browser fell too far behind; reload the snapshots.

Streams end after ``STREAM_LIFETIME_S`` (the browser reconnects at once and resumes by Last-Event-ID), so a
hub shutting down never waits long on an open dashboard. Every ``SESSION_CHECK_S`` the stream looks its session
up again and ends (after a ``signed_out`` event) once it is gone: the account disabled or deleted, its password
changed, the session signed out, revoked or expired; it also ends when the account's scope or role changed (the
browser reconnects and streams with the new ones).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from hub.api.deps import StoreDep
from hub.auth.http import OperatorDep, ScopeDep, directory, session_token
from hub.web.feed import feed_after, recent_feed
from hub.web.publisher import publisher_for

router = APIRouter(prefix="/live", tags=["live"])

STREAM_LIFETIME_S = 60.0
KEEPALIVE_S = 15.0
SESSION_CHECK_S = 2.0  # a disabled account's open streams end within this (plus one query)
SIGNED_OUT = {"zh": "登录已失效，请重新登录", "en": "this session has ended; sign in again"}
RETRY_MS = 1000
REPLAY_LIMIT = 500


def sse(kind: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def _resume_from(value: str | None) -> int | None:
    try:
        event_id = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return event_id if event_id is None or 0 <= event_id < 2**31 else None  # ids are INTEGER columns


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}})
async def live_events(request: Request, operator: OperatorDep, scope: ScopeDep, store: StoreDep,
                      last_event_id: Annotated[str | None, Header()] = None,
                      after: Annotated[int | None, Query(ge=0, le=2**31 - 1,  # an INTEGER column's id
                                                         description="resume after this case event id "
                                                         "(for clients that cannot send Last-Event-ID)")] = None):
    """Live events in the operator's scope as ``text/event-stream``."""
    publisher = publisher_for(request.app)
    see_unbound = await run_in_threadpool(lambda: scope.top)  # unbound terminals: deployment staff only
    operators, token = directory(request), session_token(request)

    def session_still_good() -> bool:
        now = operators.session_operator(token)
        return now is not None and (now.id, now.scope_code, now.role) == (operator.id, operator.scope_code,
                                                                          operator.role)

    resume = _resume_from(last_event_id)
    resume = resume if resume is not None else after

    async def stream():
        replayed = 0
        sub = publisher.subscribe(operator.scope_code, see_unbound=see_unbound)  # before replay
        try:
            yield f"retry: {RETRY_MS}\n\n"
            if resume is not None:
                def missed():
                    with store.read() as conn:
                        return feed_after(conn, resume, scope_code=None if see_unbound else operator.scope_code,
                                          limit=REPLAY_LIMIT)
                for item in await run_in_threadpool(missed):
                    replayed = max(replayed, item["event_id"])
                    yield sse("case", item, item["event_id"])
            yield sse("hello", {"scope": operator.scope_code, "resumed_from": resume})
            ends = time.monotonic() + STREAM_LIFETIME_S
            last_sent = time.monotonic()
            next_check = last_sent + SESSION_CHECK_S
            while time.monotonic() < ends:
                wait = min(next_check, last_sent + KEEPALIVE_S, ends) - time.monotonic()
                try:
                    await asyncio.wait_for(sub.wake.wait(), timeout=max(0.0, wait))
                except TimeoutError:
                    pass
                if await request.is_disconnected():
                    return
                if time.monotonic() >= next_check:
                    if not await run_in_threadpool(session_still_good):
                        yield sse("signed_out", SIGNED_OUT)
                        return
                    next_check = time.monotonic() + SESSION_CHECK_S
                if time.monotonic() - last_sent >= KEEPALIVE_S:
                    yield ": keep-alive\n\n"
                    last_sent = time.monotonic()
                items, positions = sub.take()
                out = []
                for kind, data, event_id in items:
                    if kind == "case" and event_id is not None and event_id <= replayed:
                        continue  # already sent from the trail on resume
                    out.append(sse(kind, data, event_id))
                if positions:
                    out.append(sse("positions", {"p": list(positions.values())}))
                if out:
                    yield "".join(out)
                    last_sent = time.monotonic()
        finally:
            publisher.unsubscribe(sub)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/recent")
def live_recent(operator: OperatorDep, scope: ScopeDep, store: StoreDep,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """The newest feed entries in scope, oldest first: what the feed shows before live events arrive."""
    with store.read() as conn:
        return recent_feed(conn, None if scope.top else operator.scope_code, limit)
