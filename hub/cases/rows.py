"""Read models for cases and their events (plain dataclasses, no ORM)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.cases.states import CaseState

ACTION_EVENT_PREFIX = "action:"  # a device action's case event: client_event_id = prefix + its record id


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: str
    state: str
    suspended_from: str | None
    category_code: str
    grid_code: str | None
    community_code: str | None
    level: str
    title: str
    note: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    flagged_for_review: bool
    route_reason: str | None
    source_record_id: str
    report_count: int
    assignee: str | None
    resolver: str | None
    filed_at: datetime | None
    deadline: datetime | None
    suspended_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    escalation_level: str | None = None  # unit level last notified by escalation (community ... city)
    escalated_at: datetime | None = None
    public_note: str | None = None  # what Open311 publishes, approved by an operator (None: the text redacted)
    public_note_by: str | None = None
    public_note_at: datetime | None = None
    reference: str | None = None  # FS-20261204-0042
    receipt_code: str | None = None  # what the kiosk showed the resident (the record id's last 6 hex digits)
    source: str = "device"  # device | open311 | phone | walk_in | hotline | patrol | system
    severity: str | None = None  # the reporter's urgency
    route_candidates: list[Any] | None = None  # [[grid, share], ...] when routing was unsure
    merged_into: str | None = None
    alarm_at: datetime | None = None  # an urgent case's alarm, until acknowledged
    alarm_acked_at: datetime | None = None
    alarm_acked_by: str | None = None

    @property
    def machine_state(self) -> CaseState:
        return CaseState(self.state, self.assignee, self.resolver, self.suspended_from)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    case_id: str
    seq: int
    transition: str
    outcome: str  # applied | rejected
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
    evidence: list | None
    origin: str
    client_event_id: str | None
    operator_id: str | None = None  # the signed-in account behind an API event


@dataclass(frozen=True)
class OpenResult:
    case: CaseRow
    created: bool  # a new case; False when the report joined an open case or was seen before
    joined: bool  # grouped into an existing case as a duplicate report


@dataclass(frozen=True)
class TransitionOutcome:
    case: CaseRow
    event: CaseEvent
    applied: bool  # False: recorded as rejected (stale device transition)
    repeated: bool = False  # the client_event_id was seen before; nothing new was written


@dataclass(frozen=True)
class DeviceTransition:
    case_id: str
    transition: str
    actor: str
    actor_device: str
    at: datetime
    client_event_id: str
    reason: str = ""
    note: str = ""
    evidence: tuple[str, ...] = ()
    position: tuple[float, float, float] | None = None
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class TaskDelivery:
    id: int
    case_id: str
    device_id: str
    person_id: str | None
    role: str
    reason: str
    downlink_id: str
    case_version: int
    body_sha256: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    accepted_at: datetime | None
    resend_count: int
    resent_at: datetime | None
    escalated_at: datetime | None
    withdrawn_at: datetime | None
