"""``POST /api/enroll``: a device exchanges its one-time enrolment code for its broker credentials; a kiosk also
gets the deployment key (the secret resident cards are hashed with, ``hub/devices/deployment_key.py``).

No operator sign-in (the code is the proof); rate-limited per client address and overall. And the key's two other
routes: ``GET /api/device/deployment-key`` (an enrolled kiosk, signed in with its own device account, fetches the key
in force, e.g. after a rotation downlink) and ``POST /api/devices/deployment-key/rotate`` (an admin of the whole
deployment makes a new key and tells every active kiosk). The key is never logged and never in a downlink.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.api.device_photos import current_device
from hub.auth.http import AdminDep, ScopeDep
from hub.devices.deployment_key import DeploymentKeys, notify_kiosks
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
    deployment_key: str | None = Field(default=None, description="kiosks only: the key resident cards are hashed "
                                       "with (HMAC-SHA256); store it like the password")
    deployment_key_generation: int | None = None


class DeploymentKeyOut(BaseModel):
    generation: int
    key: str


class RotatedOut(BaseModel):
    generation: int
    kiosks_notified: int


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
    identity = await run_in_threadpool(registry.get, enrolled.device_id)
    key = _keys(request).current() if identity is not None and identity.kind == "kiosk" else None
    return EnrollOut(device_id=enrolled.device_id, username=enrolled.username, password=enrolled.password,
                     broker_url=device_broker_url(state.settings, broker_url if broker_url != "embedded" else None),
                     ca_pem=ca_file.read_text() if ca_file else None,
                     deployment_key=key.key if key else None, deployment_key_generation=key.generation if key else None)


def _keys(request: Request) -> DeploymentKeys:
    return DeploymentKeys(request.app.state.settings.data_dir)


@router.get("/device/deployment-key", response_model=DeploymentKeyOut, responses={401: {}, 403: {}})
def deployment_key(request: Request, response: Response,
                   device_id: Annotated[str, Depends(current_device)]) -> DeploymentKeyOut:
    """The key in force, for an enrolled kiosk signed in with its own device account (HTTP Basic); any other kind
    of device is refused."""
    state = request.app.state
    identity = registry_from_settings(state.settings, state.store, state.store.clock).get(device_id)
    if identity is None or identity.kind != "kiosk":
        raise HTTPException(403, "仅社区终端可获取 / kiosks only")
    response.headers["Cache-Control"] = "no-store"
    key = _keys(request).current()
    return DeploymentKeyOut(generation=key.generation, key=key.key)


@router.post("/devices/deployment-key/rotate", response_model=RotatedOut)
def rotate_deployment_key(request: Request, admin: AdminDep, scope: ScopeDep) -> RotatedOut:
    """A new deployment key; every active kiosk is told (by a downlink naming the generation) and fetches it. Only an
    admin scoped to the whole deployment: the key is deployment-wide."""
    if not scope.top:
        raise HTTPException(403, "仅全域管理员可轮换密钥 / only an admin of the whole deployment may rotate the key")
    state = request.app.state
    registry = registry_from_settings(state.settings, state.store, state.store.clock)
    key = _keys(request).rotate()
    kiosks = [i.device_id for i in registry.list() if i.kind == "kiosk" and i.state == "active"]
    rows = notify_kiosks(state.store, kiosks, key.generation)
    bridge = getattr(state, "bridge", None)
    if bridge is not None and rows:
        bridge.send_downlinks(rows)
    return RotatedOut(generation=key.generation, kiosks_notified=len(rows))
