"""The same-origin check for requests that ride the session cookie (OWASP CSRF cheat sheet: "verifying origin
with standard headers").

The cookie is ``SameSite=Strict``: other *sites* cannot make a browser send it. Another origin on the same site
can (another port or sub-domain of the hub's host: ``http://127.0.0.1:9999`` is same-site with the hub on
``http://127.0.0.1:8080``), and a body-less ``POST`` needs no CORS preflight. So :class:`SameOriginMiddleware`
refuses with 403 every state-changing request (any method but GET / HEAD / OPTIONS) that carries the session
cookie and no ``Authorization: Bearer`` header, unless its ``Origin`` - or, without one, its ``Referer`` - is the
hub itself: the request's own scheme, host and port (``Host`` header; behind a proxy, uvicorn's scheme follows
X-Forwarded-Proto only from ``trusted_proxies``). Browsers send ``Origin`` on every POST, PUT, PATCH and DELETE.

Unaffected: requests without the cookie (scripts with a Bearer token, device enrolment, Open311 clients with an
``api_key``) and requests with a Bearer header (a browser adds none to a cross-origin request without a CORS
preflight, which the hub never grants).

Sign-in itself (``POST /api/auth/login``) acts on no session, so a cookie it carries does not matter: it is
refused only when it names another origin (a browser on another origin signing the user in to an account of
the attacker's choosing: "login CSRF"); a script that names none (and may still hold an old cookie) signs in.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.auth.http import COOKIE

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_PATHS = frozenset({"/api/auth/login"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
REFUSAL = {"code": "cross_origin",
           "zh": "请求来源与本站不符，已拒绝（请从本系统页面操作）",
           "en": "refused: the request's Origin (or Referer) is not this hub; act from the hub's own pages"}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or origin, or None when it has none (``null``, garbage)."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not host or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, host.lower(), port or _DEFAULT_PORTS[scheme]


def own_origin(scope: Scope, headers: dict[bytes, bytes]) -> tuple[str, str, int] | None:
    """The request's own origin: its scheme and the Host it was sent to (else the server's address)."""
    host = headers.get(b"host", b"").decode("latin-1")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"[{server_host}]:{server_port}" if ":" in server_host else f"{server_host}:{server_port}"
    return _origin(f"{scope.get('scheme', 'http')}://{host}") if host else None


def cross_origin(scope: Scope) -> bool:
    """Whether this request rides the session cookie from somewhere that is not the hub (see the module doc)."""
    if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
        return False
    headers = dict(scope.get("headers") or ())
    claimed = headers.get(b"origin") or headers.get(b"referer")
    if scope.get("path") in SIGN_IN_PATHS:
        return claimed is not None and _origin(claimed.decode("latin-1")) != own_origin(scope, headers)
    if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
        return False
    if not cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(COOKIE):
        return False
    own = own_origin(scope, headers)
    return claimed is None or own is None or _origin(claimed.decode("latin-1")) != own


class SameOriginMiddleware:
    """Pure ASGI: 403 for a cookie-borne state-changing request from another origin, before any route runs."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and cross_origin(scope):
            headers = dict(scope.get("headers") or ())
            log.warning("refused %s %s with the session cookie from origin %r (referer %r)", scope["method"],
                        scope.get("path"), headers.get(b"origin", b"").decode("latin-1"),
                        headers.get(b"referer", b"").decode("latin-1")[:200])
            await JSONResponse({"detail": REFUSAL}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
