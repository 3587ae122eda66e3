"""The access audit log (访问审计): who viewed or changed what through the HTTP API.

:class:`AccessLogMiddleware` writes one row per

- state-changing call (any method but GET / HEAD / OPTIONS), whatever its outcome - refusals included, and
  sign-in attempts (the user name tried is noted);
- read of personal data: routes declared with ``openapi_extra=PERSONAL_READ`` (photos, welfare, case detail
  and trail, records, the audit log itself).

It is off the hot path: the row is written after the response has gone out, as a single INSERT, and
nothing on the request path reads the log. A failure to write is logged and never turns a served request
into an error. Who = the operator the auth dependency put on ``request.state.operator`` or the Open311
key on ``request.state.api_key_id``; what = method, route template and resource ids (path parameters plus
what the endpoint noted with :func:`note_access`, e.g. the id it created); from where = the peer address.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from hub.auth import repo
from hub.store.clock import utc_now
from hub.store.db import Database

log = logging.getLogger(__name__)

PERSONAL_READ = {"x-access-log": "personal"}  # openapi_extra marker: reads of this route are logged
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOTE_KEY = "access_ids"


def note_access(request: HTTPConnection, **ids: Any) -> None:
    """Add resource ids to this request's audit row (e.g. the id a POST created, the user name tried)."""
    noted = getattr(request.state, _NOTE_KEY, None)
    if noted is None:
        noted = {}
        setattr(request.state, _NOTE_KEY, noted)
    noted.update({k: v for k, v in ids.items() if v is not None})


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: datetime
    operator_id: str | None
    api_key_id: str | None
    method: str
    route: str
    resource_ids: dict[str, Any] = field(default_factory=dict)
    status: int = 0
    client_addr: str = ""
    user_agent: str = ""


class AccessLog:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utc_now):
        self.db = db
        self.clock = clock

    def record(self, *, at: datetime, operator_id: str | None, api_key_id: str | None, method: str, route: str,
               resource_ids: dict[str, Any], status: int, client_addr: str = "", user_agent: str = "") -> None:
        with self.db.write() as conn:
            repo.insert_access(conn, {
                "at": at, "operator_id": operator_id, "api_key_id": api_key_id, "method": method[:8],
                "route": route[:200], "resource_ids": resource_ids, "status": status,
                "client_addr": client_addr[:64], "user_agent": user_agent[:200]})

    def query(self, *, scope_code: str | None = None, operator_id: str | None = None, route: str | None = None,
              resource_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
              limit: int = 100, before_id: int | None = None) -> list[AccessEntry]:
        """Newest first. ``scope_code``: only rows of operators scoped inside that unit (None = all rows,
        anonymous and API-key ones included). ``resource_id``: rows that name that id anywhere."""
        with self.db.read() as conn:
            rows = repo.access_rows(conn, scope_unit=scope_code, operator_id=operator_id, route=route,
                                    resource_id=resource_id, since=since, until=until, limit=limit,
                                    before_id=before_id)
        return [AccessEntry(**r) for r in rows]


def route_template(scope: dict) -> str | None:
    """The matched route's path template with every router prefix (/api/cases/{case_id}), or None.
    FastAPI keeps an included router's routes as declared and puts the prefixed form in its route context."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    for source in (context, scope.get("route")):
        template = getattr(source, "path_format", None)
        if template:
            return template
    return None


def _route_extra(scope: dict) -> dict:
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    return getattr(context, "openapi_extra", None) or getattr(scope.get("route"), "openapi_extra", None) or {}


class AccessLogMiddleware:
    """Pure ASGI (no response buffering, streaming and file responses pass straight through)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status = 500  # if the app raises before answering, the server error handler sends 500

        async def send_noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = None
        try:
            store = getattr(scope["app"].state, "store", None)
            started = store.clock() if store is not None else utc_now()
        except Exception:  # noqa: BLE001 - before the lifespan ran: nothing to log into anyway
            pass
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            if started is not None:
                await self._log(scope, status, started)

    async def _log(self, scope: dict, status: int, started: datetime) -> None:
        method = scope["method"]
        if method in SAFE_METHODS and _route_extra(scope).get("x-access-log") != "personal":
            return
        state = scope.get("state") or {}
        operator = state.get("operator")
        headers = dict(scope.get("headers") or ())
        entry = {
            "at": started, "operator_id": getattr(operator, "id", None), "api_key_id": state.get("api_key_id"),
            "method": method, "route": route_template(scope) or scope["path"],
            "resource_ids": {**{k: str(v) for k, v in (scope.get("path_params") or {}).items()},
                             **state.get(_NOTE_KEY, {})},
            "status": status, "client_addr": (scope.get("client") or ("",))[0] or "",
            "user_agent": headers.get(b"user-agent", b"").decode("latin-1")}
        try:
            await run_in_threadpool(AccessLog(scope["app"].state.store).record, **entry)
        except Exception:
            log.exception("access log: could not record %s %s", method, entry["route"])
