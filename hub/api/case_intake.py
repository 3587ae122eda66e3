"""The control room takes a case in (电话 / 来访 / 热线转办 / 巡查): ``POST /api/cases`` → 201 with the case.

It enters exactly as a kiosk's report does: a report of the virtual source ``control-room`` stored by the batch
writer (photos as that source's chunks), routed by its position with the intake's grid router or placed in the
grid you picked, then opened by the case service - duplicates nearby join, an urgent one raises the alarm and
reaches the levels above at once, a confidently placed one is auto-dispatched to its grid leader. The trail names
you (your linked person) as who took it in. The caller's contact is never stored (see :mod:`hub.cases.triage`).
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.cases import CaseServiceDep, acting_person
from hub.api.deps import StoreDep
from hub.api.schemas import CaseOut
from hub.api.triage import CATEGORY_CODE, REFUSALS, TriageDep, case_view, refusal, refused
from hub.auth.access_log import note_access
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.cases import CaseConflict, IllegalTransition
from hub.cases.triage import Call
from hub.jobs.wakeup import ring_jobs
from protocol import MAX_NOTE_CHARS, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_REPORT

router = APIRouter(prefix="/cases", tags=["cases"])

MAX_PHOTO_BASE64 = 4 * -(-MAX_PHOTO_BYTES // 3) + 64  # the encoded form of the largest photo, a data: prefix
DATA_URL = re.compile(r"^data:image/[a-z+.-]+;base64,", re.I)


class CaseIn(BaseModel):
    """A case the control room takes in. Give its position (lat/lon, e.g. picked on the map) or its grid (picked
    on the map or from the address), or both (the grid then decides where it goes)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["phone", "walk_in", "hotline", "patrol"] = Field(
        description="phone 来电 | walk_in 来访 | hotline 热线转办 | patrol 巡查发现")
    category_code: str = Field(pattern=CATEGORY_CODE, examples=["E0101"])
    severity: Literal["low", "normal", "high", "urgent"] = Field(
        default="normal", description="urgent: red, the alarm, and the levels above informed at once")
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS-84")
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS-84")
    accuracy_m: float = Field(default=0.0, ge=0, le=100_000, description="how sure the position is, in metres")
    grid_code: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="the grid (in your scope); needed when there is no position")
    address: str = Field(default="", max_length=200, description="as the caller said it; kept with the description")
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="what the caller described")
    reporter_contact: str | None = Field(default=None, max_length=100,
                                         description="NOT stored (personal data): keep call-backs in the hotline's "
                                                     "own system")
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT,
                              description="base64 JPEG or PNG (a data: URL is fine), each at most 8 MiB")

    @model_validator(mode="after")
    def _position_whole(self) -> CaseIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if not self.note.strip():
            raise ValueError("note must describe the problem")
        if any(len(p) > MAX_PHOTO_BASE64 for p in self.photos):
            raise ValueError("a photo is larger than 8 MiB")
        return self


def decode_photos(encoded: list[str]) -> list[bytes]:
    photos: list[bytes] = []
    for n, text in enumerate(encoded, start=1):
        try:
            data = base64.b64decode(re.sub(r"\s+", "", DATA_URL.sub("", text, count=1)), validate=True)
        except (binascii.Error, ValueError):
            raise refusal(422, "bad_photo", f"第 {n} 张照片不是有效的 base64 编码",
                          f"photo {n} is not valid base64") from None
        if not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
            raise refusal(422, "bad_photo", f"第 {n} 张照片不是 JPEG 或 PNG 图片",
                          f"photo {n} is not a JPEG or PNG image")
        if len(data) > MAX_PHOTO_BYTES:
            raise refusal(422, "photo_too_large", f"第 {n} 张照片超过 8 MiB", f"photo {n} is larger than 8 MiB")
        photos.append(data)
    return photos


@router.post("", status_code=201, response_model=CaseOut, responses={
    **REFUSALS, 409: {"description": "taken in, but it joined an open case outside your scope (its reference said)"}})
def create_case(body: CaseIn, operator: ActingOperatorDep, store: StoreDep, service: CaseServiceDep,
                triage: TriageDep, scope: ScopeDep, request: Request) -> CaseOut:
    """Take a case in from a call, a visit, a hotline transfer or a patrol, as your linked person. The case comes
    back (or the open case nearby it joined as a duplicate report) with ``notices``: joined, waits in triage,
    alarm raised, contact not stored."""
    actor = acting_person(store, operator)
    call = Call(source=body.source, category_code=body.category_code, note=body.note, severity=body.severity,
                position=(body.lat, body.lon, body.accuracy_m) if body.lat is not None and body.lon is not None
                else None,
                grid_code=body.grid_code, address=body.address, reporter_contact=body.reporter_contact,
                photos=decode_photos(body.photos))
    try:
        opened = triage.create(call, actor=actor, operator_id=operator.id, scope=scope)
    except (IllegalTransition, CaseConflict) as exc:
        raise refused(exc) from None
    note_access(request, case_id=opened.case.id)
    ring_jobs(request.app.state, "dispatch")  # auto-dispatch and the urgent alarm's tasks go out now
    if not scope.sees_unit(opened.case.grid_code or opened.case.community_code):
        # It joined a neighbour's open case (same problem within metres, across the boundary): taken in, but that
        # case is not yours to see - only its reference is said.
        ref = opened.case.reference or opened.case.id
        raise refusal(409, "joined_outside_scope",
                      f"已受理：作为重复上报并入相邻辖区的在办案件 {ref}（不在您的管辖范围内），请勿重复提交",
                      f"taken in: it joined the open case {ref} of a neighbouring area (outside your scope) as a "
                      "duplicate report; do not submit it again")
    return case_view(store, service, opened.case, opened.notices)
