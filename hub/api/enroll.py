"""``POST /api/enroll``: a device exchanges its one-time enrolment code for its broker credentials.

No operator sign-in (the code is the proof); rate-limited per client address and overall.
"""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.devices.identities import IdentityError
from hub.devices.jobs import registry_from_settings, wake_broker_sync
from hub.devices.ratelimit import AttemptLimiter
from protocol import parse_broker_url

router = APIRouter(tags=["enrolment"])


class EnrollIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="the one-time code, dashes optional")


class EnrollOut(BaseModel):
    device_id: str
    username: str
    password: str = Field(description="shown once; store it readable by the device's user only")
    broker_url: str
    ca_pem: str | None = Field(default=None, description="CA certificate for mqtts:// on a closed network")


def _limiter(request: Request) -> AttemptLimiter:
    state = request.app.state
    found = getattr(state, "enroll_limiter", None)
    if found is None:
        per_min = state.settings.enroll_attempts_per_min
        found = state.enroll_limiter = AttemptLimiter(per_min, per_min * 10, timedelta(minutes=1),
                                                      clock=state.store.clock)
    return found


def device_broker_url(settings, running_url: str | None) -> str:
    if settings.device_broker_url:
        return settings.device_broker_url
    url = running_url or settings.broker_url
    if url == "embedded":
        return ""  # not started yet: set GRIDLINE_DEVICE_BROKER_URL
    address = parse_broker_url(url)
    return f"{'mqtts' if address.tls else 'mqtt'}://{address.host}:{address.port}"


@router.post("/enroll", response_model=EnrollOut)
async def enroll(body: EnrollIn, request: Request) -> EnrollOut:
    client = request.client.host if request.client else "?"
    wait = _limiter(request).attempt(client)
    if wait is not None:
        raise HTTPException(429, "尝试过多，请稍后再试 / too many attempts", headers={"Retry-After": str(int(wait))})
    state = request.app.state
    registry = registry_from_settings(state.settings, state.store, state.store.clock)
    try:
        enrolled = await run_in_threadpool(registry.enroll, body.code)
    except IdentityError as exc:
        raise HTTPException(400, str(exc)) from None
    wake_broker_sync(state)
    ca_file = state.settings.broker_ca_file
    broker_url = getattr(state, "broker_url", None)
    return EnrollOut(device_id=enrolled.device_id, username=enrolled.username, password=enrolled.password,
                     broker_url=device_broker_url(state.settings, broker_url if broker_url != "embedded" else None),
                     ca_pem=ca_file.read_text() if ca_file else None)
