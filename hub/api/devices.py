from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException

from .deps import StoreDep
from .schemas import DeviceOut

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
def list_devices(store: StoreDep, state: Literal["online", "offline"] | None = None) -> list[DeviceOut]:
    return [DeviceOut.model_validate(row) for row in store.list_devices(state=state)]


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, store: StoreDep) -> DeviceOut:
    row = store.get_device(device_id)
    if row is None:
        raise HTTPException(404, f"no device {device_id}")
    return DeviceOut.model_validate(row)
