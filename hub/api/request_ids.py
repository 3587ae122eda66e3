"""A request id per HTTP request: taken from ``X-Request-ID`` when a proxy set a sane one, else made here; echoed in
the response and put on every log record made while the request is served (gridline/logs.py writes it in JSON)."""
from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
SANE = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")  # a proxy's id is kept only if it cannot forge a log line
current: ContextVar[str | None] = ContextVar("gridline_request_id", default=None)
_installed = False
_worker: str | None = None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER, b"")
        request_id = given.decode() if SANE.match(given) else uuid.uuid4().hex
        token = current.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current.reset(token)


def install_log_records(worker: str | None = None) -> None:
    """Every log record carries ``worker`` (this hub worker's client id) and, made while a request is served, its
    ``request_id``. Installed once per process; the worker named last counts."""
    global _installed, _worker
    _worker = worker or _worker
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if getattr(record, "request_id", None) is None:
            record.request_id = current.get()
        if getattr(record, "worker", None) is None:
            record.worker = _worker
        return record
    logging.setLogRecordFactory(with_request_id)
    _installed = True
