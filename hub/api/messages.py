"""Downlink messages (tasks, notices) to one device, kept until the device confirms them.

Raw messages are an admin's tool (tasks normally follow from case dispatch): admins only, and only to
devices bound in their scope (unbound devices: admins of the top unit)."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from hub.api.deps import BridgeDep, StoreDep
from hub.api.schemas import MessageIn, MessageOut
from hub.auth.access_log import note_access
from hub.auth.http import ScopeDep, admin_operator
from protocol.topics import DEVICE_ID_PATTERN

router = APIRouter(prefix="/devices/{device_id}/messages", tags=["messages"], dependencies=[Depends(admin_operator)])

DevicePath = Annotated[str, Path(pattern=rf"^{DEVICE_ID_PATTERN}$")]


@router.post("", status_code=201, response_model=MessageOut)
def send_message(device_id: DevicePath, message: MessageIn, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
                 request: Request) -> MessageOut:
    """Queue a message and publish it now if the broker is connected. It is re-sent whenever the
    device comes online, and periodically, until the device confirms it or it expires."""
    scope.require_device(device_id)
    expires_at = message.expires_at
    if message.ttl_s is not None:
        expires_at = store.clock() + timedelta(seconds=message.ttl_s)
    if expires_at is not None and expires_at <= store.clock():
        raise HTTPException(422, "expires_at is in the past")
    row = store.queue_downlink(device_id, message.kind, message.body, expires_at)
    note_access(request, message_id=row.id)
    if bridge is not None:
        bridge.send_downlinks([row])
        row = store.get_downlink(row.id) or row
    return MessageOut.of(row)


@router.get("", response_model=list[MessageOut])
def list_messages(device_id: DevicePath, store: StoreDep, scope: ScopeDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[MessageOut]:
    """Newest first, with delivery state."""
    scope.require_device(device_id)
    return [MessageOut.of(r) for r in store.list_downlinks(device_id, limit=limit)]
