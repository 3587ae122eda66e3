"""Downlink messages (tasks, notices) to one device, kept until the device confirms them."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from protocol.topics import DEVICE_ID_PATTERN

from .deps import BridgeDep, StoreDep
from .schemas import MessageIn, MessageOut

router = APIRouter(prefix="/devices/{device_id}/messages", tags=["messages"])

DevicePath = Annotated[str, Path(pattern=rf"^{DEVICE_ID_PATTERN}$")]


@router.post("", status_code=201, response_model=MessageOut)
def send_message(device_id: DevicePath, message: MessageIn, store: StoreDep, bridge: BridgeDep) -> MessageOut:
    """Queue a message and publish it now if the broker is connected. It is re-sent whenever the
    device comes online, and periodically, until the device confirms it or it expires."""
    expires_at = message.expires_at
    if message.ttl_s is not None:
        expires_at = store.clock() + timedelta(seconds=message.ttl_s)
    if expires_at is not None and expires_at <= store.clock():
        raise HTTPException(422, "expires_at is in the past")
    row = store.queue_downlink(device_id, message.kind, message.body, expires_at)
    if bridge is not None:
        bridge.send_downlinks([row])
        row = store.get_downlink(row.id) or row
    return MessageOut.of(row)


@router.get("", response_model=list[MessageOut])
def list_messages(device_id: DevicePath, store: StoreDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[MessageOut]:
    """Newest first, with delivery state."""
    return [MessageOut.of(r) for r in store.list_downlinks(device_id, limit=limit)]
