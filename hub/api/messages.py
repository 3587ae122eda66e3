"""Downlink messages to one device, kept until the device confirms them.

Raw messages are an admin's tool: admins only, and only to devices bound in their scope (unbound devices:
admins of the top unit). The downlink kinds terminals understand are protocol's ``DOWNLINK_BODIES``: ``task``,
``notice`` and ``taxonomy``. Only ``notice`` (网格公告) is sent through here, its body checked against
``NoticeBody``, the model the kiosk decodes it with (``protocol.downlink_body``), so that what is accepted is what the
kiosk can show - refused with 422 and the reason otherwise. ``task`` and ``taxonomy`` belong to the hub's own
senders: tasks follow from case dispatch, which records each delivery so that it can withdraw the task later
(a task sent here would stay on the phone for ever), and the taxonomy sync decides from the revisions it queued
which devices need the current list (a list sent here would pass for the hub's); ``bulletin`` (居务公开) comes from
``/api/notices``, which keeps its versions and counts each kiosk's delivery. Any other kind: 422 - no terminal
reads it, it would only lie in the inbox."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import ValidationError

from hub.api.deps import BridgeDep, StoreDep
from hub.api.schemas import MessageIn, MessageOut
from hub.auth.access_log import note_access
from hub.auth.http import ScopeDep, admin_operator
from protocol import DOWNLINK_BODIES
from protocol.topics import DEVICE_ID_PATTERN

router = APIRouter(prefix="/devices/{device_id}/messages", tags=["messages"], dependencies=[Depends(admin_operator)])

DevicePath = Annotated[str, Path(pattern=rf"^{DEVICE_ID_PATTERN}$")]
ADMIN_KINDS = ("notice",)  # of DOWNLINK_BODIES: what an admin sends; tasks and taxonomy are the hub's own
HUB_KINDS = {"task": ("由案件派遣自动下发", "sent by case dispatch"),
             "taxonomy": ("由类别同步自动下发", "sent by the taxonomy sync"),
             "bulletin": ("由居务公开发布（/api/notices）自动下发", "sent by the notices service (/api/notices)")}


def _refusal(code: str, zh: str, en: str) -> HTTPException:
    return HTTPException(422, detail={"code": code, "zh": zh, "en": en})


def checked_body(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body as its kind's model reads it on the device (JSON form), or 422 saying why it cannot be sent."""
    if kind in HUB_KINDS:
        zh, en = HUB_KINDS[kind]
        raise _refusal("hub_only_kind", f"{kind} 消息{zh}，不能手工发送", f"{kind} messages are {en}, not by hand")
    if kind not in DOWNLINK_BODIES or kind not in ADMIN_KINDS:
        raise _refusal("unknown_kind", f"终端不识别 {kind!r} 类消息；可发送：{'、'.join(ADMIN_KINDS)}",
                       f"no terminal reads kind {kind!r}; send one of: {', '.join(ADMIN_KINDS)}")
    try:  # the model the terminal decodes the body with (protocol.downlink_body), every problem listed
        typed = DOWNLINK_BODIES[kind].model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in exc.errors())[:1000]
        raise _refusal("invalid_body", f"终端无法读取该 {kind} 消息内容：{problems}",
                       f"the terminal could not read this {kind} body: {problems}") from None
    return typed.model_dump(mode="json")


@router.post("", status_code=201, response_model=MessageOut, responses={
    422: {"description": "not a notice, or a body the kiosk could not read: detail = {code, zh, en}"}})
def send_message(device_id: DevicePath, message: MessageIn, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
                 request: Request) -> MessageOut:
    """Queue a message and publish it now if the broker is connected. It is re-sent whenever the
    device comes online, and periodically, until the device confirms it or it expires."""
    scope.require_device(device_id)
    body = checked_body(message.kind, message.body)
    expires_at = message.expires_at
    if message.ttl_s is not None:
        expires_at = store.clock() + timedelta(seconds=message.ttl_s)
    if expires_at is not None and expires_at <= store.clock():
        raise HTTPException(422, "expires_at is in the past")
    row = store.queue_downlink(device_id, message.kind, body, expires_at)
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
