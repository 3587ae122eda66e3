"""Refuse requests carrying a NUL character (0x00) with a clear 400, before they reach a handler.

PostgreSQL text cannot hold NUL: a path id, query filter or body field with one would reach the database and
fail there as a 500 (found by the schemathesis run, tests/hub/api/test_schemathesis.py, on ~30 operations).
No legitimate value contains it, so one check at the edge serves SQLite and PostgreSQL alike. Bodies are
inspected only when they are JSON or a form (the API's only kinds), and are passed on unchanged.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

NUL = "\x00"
MESSAGE = "请求中含有 NUL (0x00) 字符 / the request contains a NUL (0x00) character"


def _in_json(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(NUL in k or _in_json(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_in_json(v) for v in value)
    return False


def _in_form(raw: bytes) -> bool:
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return any(NUL in k or NUL in v for k, v in pairs)


def _body_has_nul(content_type: str, body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if content_type == "application/x-www-form-urlencoded":
        return _in_form(body)
    if content_type.endswith("json") and b"\\u0000" in body.lower():  # cheap pre-check before parsing
        try:
            return _in_json(json.loads(body))
        except ValueError:
            return False  # not JSON: the handler answers that
    return False


class RefuseNulMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): streams such as the live feed pass through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if NUL in scope.get("path", "") or _in_form(scope.get("query_string", b"")):
            return await _refuse(send)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        if scope.get("method") not in ("POST", "PUT", "PATCH", "DELETE") or not (
                content_type.endswith("json") or content_type == "application/x-www-form-urlencoded"):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _body_has_nul(content_type, body):
            return await _refuse(send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _refuse(send) -> None:
    payload = json.dumps({"detail": MESSAGE}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
