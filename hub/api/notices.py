"""居务公开: notices the control room publishes to the kiosks of a grid, a community or a whole unit's subtree.

``GET /notices`` (live: published or scheduled, not withdrawn, not expired; ``history``: withdrawn or expired),
``POST /notices`` (publish), ``GET /notices/{id}`` (with every version and the per-kiosk deliveries),
``PUT /notices/{id}`` (amend: version n+1, same id; ``expected_version`` guards against a colleague's change),
``POST /notices/{id}/withdraw``. Each notice comes with its delivery counts: the kiosks its current version was
queued for, how many confirmed it delivered and how many showed it on screen (READ confirmations).

Scope: an operator sees and changes the notices whose target lies in their subtree and may target only units there
(the target named in the body is checked like a path: another community's unit answers 404). Viewers read only.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from hub.api.deps import BridgeDep, StoreDep
from hub.auth.access_log import note_access
from hub.auth.http import ActingOperatorDep, ScopeDep
from hub.auth.scope import OperatorScope
from hub.notices import repo
from hub.notices.service import Draft, NoticeError, NoticeService
from hub.org.repo import get_unit
from hub.store import HubStore
from protocol import MAX_BULLETIN_IMAGES
from protocol.labels import notice_category_label
from protocol.notices import MAX_BULLETIN_TEXT_CHARS

router = APIRouter(prefix="/notices", tags=["notices"])

NoticeId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
UnitCode = Annotated[str, Field(pattern=r"^\d{6,15}$")]
MAX_IMAGE_FIELD = 17 * 1024 * 1024  # base64 of hub.notices.images.MAX_UPLOAD_BYTES, with a data: prefix


class NoticeIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(max_length=MAX_BULLETIN_TEXT_CHARS)] = ""
    category: Annotated[str, Field(pattern=r"^[a-z_]{1,24}$")] = "general"
    target_code: UnitCode = Field(description="a grid, a community, or a unit: every kiosk below it")
    pinned: bool = False
    publish_at: AwareDatetime | None = Field(default=None, description="later publication; none: now "
                                             "(an amendment keeps the notice's publish time)")
    expires_at: AwareDatetime | None = None
    images: list[Annotated[str, Field(max_length=MAX_IMAGE_FIELD)]] = Field(
        default_factory=list, max_length=MAX_BULLETIN_IMAGES,
        description="new images as base64 (a data: URL is fine; re-encoded to small JPEGs), or the sha256 of an "
                    "image of the current version to keep it")

    def draft(self) -> Draft:
        return Draft(title=self.title, text=self.text, category=self.category, target_code=self.target_code,
                     pinned=self.pinned, publish_at=self.publish_at, expires_at=self.expires_at,
                     images=tuple(self.images))


class NoticeAmendIn(NoticeIn):
    expected_version: int | None = Field(default=None, ge=1, description="the version you edited: 409 if changed")


class CountsOut(BaseModel):
    kiosks: int
    delivered: int
    shown: int


class NoticeOut(BaseModel):
    id: str
    version: int
    state: Literal["scheduled", "published", "expired", "withdrawn"]
    category: str
    category_zh: str
    category_en: str
    title: str
    pinned: bool
    target_code: str
    target_name: str
    publish_at: datetime
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    counts: CountsOut


class ImageOut(BaseModel):
    sha256: str
    jpeg_b64: str


class VersionOut(BaseModel):
    version: int
    category: str
    title: str
    text: str
    pinned: bool
    target_code: str
    publish_at: datetime
    expires_at: datetime | None
    images: int
    created_at: datetime
    created_by: str


class DeliveryOut(BaseModel):
    device_id: str
    version: int
    action: Literal["publish", "withdraw"]
    queued_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    shown_at: datetime | None


class NoticeDetailOut(NoticeOut):
    text: str
    images: list[ImageOut]
    versions: list[VersionOut]
    deliveries: list[DeliveryOut]


def _service(store: HubStore, bridge: object | None) -> NoticeService:
    return NoticeService(store, bridge, clock=store.clock)  # type: ignore[arg-type]


def _refused(exc: NoticeError) -> HTTPException:
    return HTTPException(exc.status, detail={"code": exc.code, "zh": exc.zh, "en": exc.en})


def _out(store: HubStore, notice: repo.NoticeRow, counts: repo.Counts, names: dict[str, str]) -> NoticeOut:
    if notice.target_code not in names:
        unit = get_unit(store, notice.target_code)
        names[notice.target_code] = unit.name if unit else notice.target_code
    return NoticeOut(id=notice.id, version=notice.version, state=notice.state(store.clock()),
                     category=notice.category, category_zh=notice_category_label(notice.category, "zh-CN"),
                     category_en=notice_category_label(notice.category, "en"), title=notice.title,
                     pinned=notice.pinned, target_code=notice.target_code, target_name=names[notice.target_code],
                     publish_at=notice.publish_at, expires_at=notice.expires_at, created_at=notice.created_at,
                     updated_at=notice.updated_at, withdrawn_at=notice.withdrawn_at,
                     counts=CountsOut(kiosks=counts.kiosks, delivered=counts.delivered, shown=counts.shown))


def _detail(store: HubStore, service: NoticeService, notice_id: str, scope: OperatorScope) -> NoticeDetailOut:
    found = service.detail(notice_id)
    if found is None:
        raise HTTPException(404, "not found")
    scope.require_unit(found.notice.target_code)
    base = _out(store, found.notice, found.counts, {})
    return NoticeDetailOut(
        **base.model_dump(), text=found.current.text,
        images=[ImageOut(**image) for image in found.current.images],
        versions=[VersionOut(version=v.version, category=v.category, title=v.title, text=v.text, pinned=v.pinned,
                             target_code=v.target_code, publish_at=v.publish_at, expires_at=v.expires_at,
                             images=len(v.images), created_at=v.created_at, created_by=v.created_by)
                  for v in found.versions],
        deliveries=[DeliveryOut(device_id=d.device_id, version=d.version, action=d.action,
                                queued_at=d.queued_at, sent_at=d.sent_at, delivered_at=d.delivered_at,
                                shown_at=d.read_at) for d in found.deliveries])


@router.get("", response_model=list[NoticeOut])
def list_notices(store: StoreDep, scope: ScopeDep,
                 state: Annotated[Literal["live", "history", "all"], Query()] = "live",
                 limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[NoticeOut]:
    """Notices targeting units in your scope, pinned first, then the newest, with their delivery counts."""
    service = _service(store, None)
    names: dict[str, str] = {}
    return [_out(store, n, c, names) for n, c in service.listed(
        state=state, units=None if scope.top else scope.units, limit=limit)]


@router.post("", status_code=201, response_model=NoticeDetailOut, responses={
    404: {"description": "the target unit is outside your scope"},
    422: {"description": "a category, expiry, image or target the kiosks cannot use: detail = {code, zh, en}"}})
def publish_notice(notice: NoticeIn, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
                   operator: ActingOperatorDep, request: Request) -> NoticeDetailOut:
    """Publish now (or at ``publish_at``) to every kiosk bound in the target's subtree, and to kiosks bound there
    later while the notice has not expired."""
    scope.require_unit(notice.target_code)
    service = _service(store, bridge)
    try:
        created = service.publish(notice.draft(), operator.id)
    except NoticeError as exc:
        raise _refused(exc) from None
    note_access(request, notice_id=created.id)
    return _detail(store, service, created.id, scope)


@router.get("/{notice_id}", response_model=NoticeDetailOut)
def get_notice(notice_id: NoticeId, store: StoreDep, scope: ScopeDep) -> NoticeDetailOut:
    """The notice with its current text and images, every version, and each kiosk's delivery: queued, sent,
    delivered, shown on screen."""
    return _detail(store, _service(store, None), notice_id, scope)


def _require_own(service: NoticeService, notice_id: str, scope: OperatorScope) -> None:
    found = service.notice(notice_id)
    if found is None:
        raise HTTPException(404, "not found")
    scope.require_unit(found.target_code)


@router.put("/{notice_id}", response_model=NoticeDetailOut, responses={
    409: {"description": "withdrawn already, or changed since expected_version"}})
def amend_notice(notice_id: NoticeId, notice: NoticeAmendIn, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
                 operator: ActingOperatorDep, request: Request) -> NoticeDetailOut:
    """Publish version n+1 under the same id: kiosks show it instead of the old one (kiosks no longer in the
    target get a withdrawal). Earlier versions stay in the history."""
    service = _service(store, bridge)
    _require_own(service, notice_id, scope)
    scope.require_unit(notice.target_code)
    try:
        service.amend(notice_id, notice.draft(), operator.id, expected_version=notice.expected_version)
    except NoticeError as exc:
        raise _refused(exc) from None
    note_access(request, notice_id=notice_id)
    return _detail(store, service, notice_id, scope)


@router.post("/{notice_id}/withdraw", response_model=NoticeDetailOut, responses={
    409: {"description": "withdrawn already"}})
def withdraw_notice(notice_id: NoticeId, store: StoreDep, bridge: BridgeDep, scope: ScopeDep,
                    operator: ActingOperatorDep, request: Request) -> NoticeDetailOut:
    """Take the notice off every kiosk that got it (a withdrawal downlink); it leaves the live list and stays in
    the history with all its versions."""
    service = _service(store, bridge)
    _require_own(service, notice_id, scope)
    try:
        service.withdraw(notice_id, operator.id)
    except NoticeError as exc:
        raise _refused(exc) from None
    note_access(request, notice_id=notice_id)
    return _detail(store, service, notice_id, scope)
