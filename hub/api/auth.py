"""Sign-in, sign-out and "who am I" for the control room."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from hub.api.deps import StoreDep
from hub.auth.access_log import note_access
from hub.auth.http import COOKIE, DirectoryDep, OperatorDep, client_address, session_token
from hub.auth.operators import AuthError, Operator
from hub.org.repo import get_unit

public_router = APIRouter(prefix="/auth", tags=["auth"])  # sign-in itself: the only public route besides health
router = APIRouter(prefix="/auth", tags=["auth"])


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class OperatorOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    scope_code: str
    scope_name: str | None = Field(default=None, description="the scope unit's name (a grid, community, ... city)")
    person_id: str | None

    @classmethod
    def of(cls, op: Operator) -> OperatorOut:
        return cls(id=op.id, username=op.username, display_name=op.display_name, role=op.role,
                   scope_code=op.scope_code, person_id=op.person_id)


class SessionOut(BaseModel):
    token: str = Field(description="for API clients (Authorization: Bearer); browsers use the cookie")
    expires_at: datetime
    operator: OperatorOut


@public_router.post("/login", response_model=SessionOut)
def login(body: SignIn, request: Request, response: Response, directory: DirectoryDep) -> SessionOut:
    note_access(request, username=body.username)  # failed attempts are audited too, by the name tried
    try:
        session = directory.sign_in(body.username, body.password, user_agent=request.headers.get("user-agent", ""),
                                    client=client_address(request))
    except AuthError as exc:
        headers = {"Retry-After": str(max(1, int((exc.retry_after - directory.clock()).total_seconds())))} \
            if exc.retry_after else None
        raise HTTPException(429 if exc.code == "locked" else 401, {"code": exc.code, "message": str(exc)},
                            headers=headers) from None
    request.state.operator = session.operator  # the audit row names who signed in
    max_age = int((session.expires_at - directory.clock()).total_seconds())
    response.set_cookie(COOKIE, session.token, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return SessionOut(token=session.token, expires_at=session.expires_at, operator=OperatorOut.of(session.operator))


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, directory: DirectoryDep) -> Response:
    directory.sign_out(session_token(request))
    response.delete_cookie(COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=OperatorOut)
def me(operator: OperatorDep, store: StoreDep) -> OperatorOut:
    scope = get_unit(store, operator.scope_code)  # the top bar names the scope at any level, a city's too
    return OperatorOut.of(operator).model_copy(update={"scope_name": scope.name if scope else None})
