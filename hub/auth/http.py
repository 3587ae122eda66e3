"""FastAPI side of sign-in: who is calling (session cookie or Bearer token) and what their role allows.

Browsers get an HttpOnly, SameSite=Strict cookie (no JavaScript can read it; other sites cannot ride
it); scripts send ``Authorization: Bearer <token>``. Both name the same server-side session.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from hub.auth.operators import Operator, OperatorDirectory
from hub.auth.scope import OperatorScope
from hub.settings import HubSettings

COOKIE = "gridline_session"
ACTING_ROLES = frozenset({"admin", "dispatcher", "supervisor"})  # viewers look, never act


def directory(request: HTTPConnection) -> OperatorDirectory:
    found = getattr(request.app.state, "operators", None)
    if found is None:
        settings = getattr(request.app.state, "settings", None) or HubSettings()
        found = request.app.state.operators = OperatorDirectory(
            request.app.state.store, clock=request.app.state.store.clock,
            max_failures=settings.sign_in_max_failures, account_max_failures=settings.sign_in_account_max_failures,
            lockout=timedelta(seconds=settings.sign_in_lockout_s),
            max_lockout=timedelta(seconds=settings.sign_in_max_lockout_s))
    return found


def client_address(request: HTTPConnection) -> str:
    """The caller's address as the server saw the connection (a proxy's X-Forwarded-For only counts when the
    server was told to trust that proxy: ``trusted_proxies``)."""
    return request.client.host if request.client else ""


def session_token(request: HTTPConnection) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE, "")


def current_operator(request: HTTPConnection) -> Operator:
    operator = directory(request).session_operator(session_token(request))
    if operator is None:
        raise HTTPException(401, "请先登录 / sign in first", headers={"WWW-Authenticate": "Bearer"})
    request.state.operator = operator
    return operator


def acting_operator(operator: Annotated[Operator, Depends(current_operator)]) -> Operator:
    if operator.role not in ACTING_ROLES:
        raise HTTPException(403, "只读账号不能操作 / this account may only view")
    return operator


def admin_operator(operator: Annotated[Operator, Depends(current_operator)]) -> Operator:
    if operator.role != "admin":
        raise HTTPException(403, "需要管理员权限 / admins only")
    return operator


def operator_scope(request: HTTPConnection, operator: Annotated[Operator, Depends(current_operator)]) -> OperatorScope:
    """The signed-in operator's scope rules (subtree filters, single-item checks) over the hub's database."""
    return OperatorScope(request.app.state.store, operator)


def acting_person_id(operator: Operator) -> str:
    """The person an acting operator stands for in audit trails (case events, welfare changes)."""
    if operator.person_id is None:
        raise HTTPException(403, {"code": "no_person",
                                  "zh": "该账号未关联人员，请管理员先为其关联人员（PUT /api/operators/{id}/person）",
                                  "en": "this account is not linked to a person; an admin must link it "
                                        "(PUT /api/operators/{id}/person) before it can act"})
    return operator.person_id


OperatorDep = Annotated[Operator, Depends(current_operator)]
ActingOperatorDep = Annotated[Operator, Depends(acting_operator)]
AdminDep = Annotated[Operator, Depends(admin_operator)]
DirectoryDep = Annotated[OperatorDirectory, Depends(directory)]
ScopeDep = Annotated[OperatorScope, Depends(operator_scope)]
