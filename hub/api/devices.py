"""Terminals and phones with their presence and health, limited to those bound inside the operator's scope."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException

from hub.api.deps import StoreDep
from hub.api.schemas import DeviceOut
from hub.auth.http import ScopeDep
from hub.devices.identities import with_identity

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
def list_devices(scope: ScopeDep, store: StoreDep,
                 state: Literal["online", "offline"] | None = None) -> list[DeviceOut]:
    """Devices bound to a unit in your subtree (unbound ones: operators scoped to the top unit only)."""
    return with_identity(store, [DeviceOut.model_validate(row) for row in scope.devices(state=state)])


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, store: StoreDep, scope: ScopeDep) -> DeviceOut:
    scope.require_device(device_id)
    row = store.get_device(device_id)
    if row is None:
        raise HTTPException(404, f"no device {device_id}")
    return with_identity(store, [DeviceOut.model_validate(row)])[0]
