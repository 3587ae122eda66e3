"""HTTP response/request models (separate from wire-protocol models: the API may evolve on its own)."""
from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hub.store import DeadLetterRow, DownlinkRow, RecordRow
from protocol import MAX_PAYLOAD_BYTES

DEAD_LETTER_PREVIEW_CHARS = 2000


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    state: Literal["online", "offline", "revoked"] = Field(
        description="presence; revoked: its identity was revoked (set at once, kept whatever it still sends)")
    last_seen: datetime | None
    status_at: datetime | None
    outbox_depth: int | None
    photos_pending: int | None
    battery_pct: float | None
    app_version: str | None
    clock_skew_ms: int | None
    first_seen: datetime
    # device identity (hub/devices): pending | active | revoked, null = never registered; open spoofing flag
    identity: str | None = None
    flagged: str | None = Field(default=None, description="why it is flagged, e.g. device_mismatch; null = not")


class RecordOut(BaseModel):
    id: str
    device_id: str
    seq: int
    kind: str
    device_time: datetime
    received_at: datetime
    content_sha256: str
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: RecordRow) -> RecordOut:
        return cls(id=row.id, device_id=row.device_id, seq=row.seq, kind=row.kind, device_time=row.device_time,
                   received_at=row.received_at, content_sha256=row.content_sha256, payload=row.payload_dict())


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str
    detail: str
    device_id: str | None
    payload_size: int
    payload_base64: str = Field(description="stored bytes (truncated to the hub's cap)")
    payload_preview: str

    @classmethod
    def of(cls, row: DeadLetterRow) -> DeadLetterOut:
        return cls(id=row.id, received_at=row.received_at, topic=row.topic, reason=row.reason, detail=row.detail,
                   device_id=row.device_id, payload_size=row.payload_size,
                   payload_base64=base64.b64encode(row.payload).decode(),
                   payload_preview=row.payload[:DEAD_LETTER_PREVIEW_CHARS].decode("utf-8", "replace"))


class MessageIn(BaseModel):
    """A downlink for one device: a task, a notice, ... Give ``ttl_s`` or ``expires_at``, or neither."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["task"])
    body: dict[str, Any] = Field(default_factory=dict, examples=[{"title": "检查3号楼消防通道"}])
    ttl_s: float | None = Field(default=None, gt=0, le=365 * 24 * 3600)
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_expiry_and_fits_on_the_wire(self) -> MessageIn:
        if self.ttl_s is not None and self.expires_at is not None:
            raise ValueError("give ttl_s or expires_at, not both")
        # leave room for the envelope (id, device_id, timestamps)
        if len(json.dumps(self.body, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES - 1024:
            raise ValueError("body too large for one MQTT message")
        return self


class MessageOut(BaseModel):
    id: str
    device_id: str
    kind: str
    body: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None
    state: Literal["queued", "sent", "delivered", "read", "expired"]
    send_count: int
    last_sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None

    @classmethod
    def of(cls, row: DownlinkRow) -> MessageOut:
        return cls(id=row.id, device_id=row.device_id, kind=row.kind, body=row.body_dict(),
                   created_at=row.created_at, expires_at=row.expires_at, state=row.state,
                   send_count=row.send_count, last_sent_at=row.last_sent_at, delivered_at=row.delivered_at,
                   read_at=row.read_at)


class CalendarCoverageOut(BaseModel):
    covered_years: list[int] = Field(description="years whose public holidays the working calendar knows")
    local_years: list[int] = Field(description="of those, years an admin entered holidays for (GET /api/calendar)")
    missing: list[int] = Field(description="this year and next when not covered: time limits run through 春节")
    warning: str | None = Field(description="what to do about the missing years (zh / en)")


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    db_ok: bool
    broker: Literal["connected", "disconnected", "disabled"]
    queue_depth: int
    auth_failure: str | None = None
    last_db_error: str | None = None
    counters: dict[str, int] = Field(default_factory=dict)
    worker: str | None = Field(default=None, description="MQTT client id of the hub worker that answered")
    calendar: CalendarCoverageOut | None = Field(default=None, description="the working calendar's years; a missing "
                                                 "year is a warning, not a failure (status stays ok)")


# -- cases (案件) ------------------------------------------------------------------------------------
class PositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)


# A photo's content address, nothing else: evidence ends up in URLs (/api/photos/<sha256>) on the case page.
PhotoSha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", min_length=64, max_length=64,
                                   examples=["ef" * 32], description="hex SHA-256 of a stored photo")]


class TransitionIn(BaseModel):
    """One step of the closed loop, made from the dashboard by the signed-in operator's linked person. Every id
    in it is checked against your scope: the assignee must be a person in your subtree, each evidence item a
    stored photo you can already see."""

    model_config = ConfigDict(extra="forbid")
    transition: str = Field(examples=["dispatch"], description="file, not_file, dispatch, reassign, accept, "
                            "arrive, return, resolve, verify, rework, close, suspend, resume")
    assignee: str | None = Field(default=None, max_length=64,
                                 description="dispatch / reassign: the field worker's person id (in your scope)")
    reason: str = Field(default="", max_length=1000,
                        description="needed by not_file, return, rework, suspend, reassign")
    note: str = Field(default="", max_length=1000)
    category_code: str | None = Field(default=None, max_length=16,
                                      description="file: correct the category while filing (file only)")
    evidence: list[PhotoSha256] = Field(default_factory=list, max_length=9,
                                        description="resolve / note: sha256s of stored photos you can see")
    position: PositionIn | None = Field(default=None, description="resolve: where the work was done")
    expected_version: int | None = Field(default=None, ge=1, description="the version read; 409 if it moved on")


class IllegalTransitionOut(BaseModel):
    code: str = Field(examples=["wrong_state"])
    zh: str
    en: str


class NoticeOut(BaseModel):
    """Something the operator should know about a step that was applied (zh-CN first, English complete)."""

    code: str = Field(examples=["assignee_unreachable"])
    zh: str
    en: str


class PersonRef(BaseModel):
    id: str
    name: str | None
    role: str | None


class EscalationOut(BaseModel):
    level: int | str | None = Field(description="the unit level last notified (community ... city), if recorded")
    at: datetime | None = Field(default=None, description="when it was last escalated, if recorded")
    events: list[dict[str, Any]] = Field(description="escalate events from the audit trail, oldest first")


class CaseOut(BaseModel):
    id: str
    reference: str | None = Field(default=None, description="FS-20261204-0042: what people quote (NULL: opened "
                                  "before references existed)")
    receipt_code: str | None = Field(default=None, description="what the kiosk showed the resident: the last 6 hex "
                                     "digits of the report's record id")
    source: str = Field(default="device", description="device | open311 | phone | walk_in | hotline | patrol | system")
    severity: str | None = Field(default=None, description="the reporter's urgency: low | normal | high | urgent")
    route_candidates: list[tuple[str, float]] | None = Field(default=None, description="(grid, share) when routing "
                                                             "was unsure")
    merged_into: str | None = None
    alarm_at: datetime | None = Field(default=None, description="an urgent case's alarm (until acknowledged)")
    alarm_acked_at: datetime | None = None
    state: str
    state_zh: str
    suspended_from: str | None
    category_code: str
    title: str
    note: str
    level: Literal["blue", "yellow", "red"]
    grid_code: str | None
    community_code: str | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    flagged_for_review: bool
    route_reason: str | None
    report_count: int
    source_record_id: str
    assignee: PersonRef | None
    resolver: str | None
    filed_at: datetime | None
    deadline: datetime | None
    overdue: bool
    remaining_s: float | None = Field(description="wall-clock seconds to the deadline; negative once overdue")
    remaining_working_s: float | None = Field(description="working-calendar seconds to the deadline")
    suspended_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    escalation: EscalationOut | None = None
    notices: list[NoticeOut] = Field(default_factory=list, description="after a transition: what you should know "
                                     "about it, e.g. the assignee has no phone the task can reach")


class CaseListItem(CaseOut):
    """A case as the list shows it: everything of CaseOut, with the names instead of codes."""

    followup: str | None = Field(default=None, description="回访 of its latest closing (hub/followup): pending | "
                                 "overdue (未回访) | not_reached | skipped | the answer (satisfied, "
                                 "basically_satisfied, dissatisfied); null: never closed")

    category_zh: str | None = Field(default=None, description="the category's name (null: a code not in the "
                                    "taxonomy)")
    category_en: str | None = None
    grid_name: str | None = Field(default=None, description="null: placed in a community only (属地兜底)")
    community_name: str | None = None


class CasePage(BaseModel):
    items: list[CaseListItem]
    total: int | None = Field(description="how many cases match, exact up to 10,000; null when more match (see "
                              "total_estimate) or when count=false")
    total_estimate: int | None = Field(default=None, description="when more than 10,000 match: PostgreSQL's "
                                       "estimate (a SQLite hub leaves it null)")
    offset: int
    limit: int
    order: str = Field(default="newest", description="newest | oldest | deadline | level | overdue_first")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= (same filters and order) for the "
                                    "next page; null on the last page (and for overdue_first, which pages by "
                                    "offset)")


class CaseMatchOut(BaseModel):
    id: str
    reference: str | None
    receipt_code: str | None
    title: str
    state: str
    state_zh: str
    grid_code: str | None
    community_code: str | None
    created_at: datetime


class AmbiguousLookupOut(BaseModel):
    """409 of a lookup: several cases in your scope answer to the number (a receipt code is 6 hex digits: among
    many cases two can share one). Pick one by its reference."""

    code: Literal["ambiguous"]
    zh: str
    en: str
    matches: list[CaseMatchOut]


class CaseEventOut(BaseModel):
    seq: int
    transition: str
    outcome: Literal["applied", "rejected"]
    from_state: str | None
    to_state: str | None
    actor: str
    actor_device: str | None
    assignee: str | None
    category_code: str | None
    at: datetime
    received_at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    reason: str
    note: str
    evidence: list[str] | None
    origin: str
    client_event_id: str | None


class AllowedTransition(BaseModel):
    transition: str
    zh: str
    needs: list[str] = Field(description="fields this transition requires besides the actor")


class AllowedOut(BaseModel):
    case_id: str
    state: str
    version: int
    actor: PersonRef | None = Field(description="the person you act as; null for a viewer without one")
    transitions: list[AllowedTransition]


# -- evaluation KPIs (考核指标) -------------------------------------------------------------------------
class KpiRowOut(BaseModel):
    key: str | None = Field(description="unit or category code; null = cases without one")
    name: str
    reported: int
    filed: int
    closed: int
    cohort_closed: int = Field(description="cases filed in the period and closed before its end")
    on_time_closed: int
    reworked_closed: int
    accepted: int
    overdue_now: int
    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    mean_accept_s: float | None
    mean_resolve_s: float | None


class KpiReportOut(BaseModel):
    group_by: str
    start: datetime
    end: datetime
    now: datetime
    unit: str | None
    category: str | None
    rows: list[KpiRowOut]
    total: KpiRowOut
