"""Payload models: every message on the wire is one of these, JSON-encoded.

All models forbid unknown fields and carry a schema version ``v``; a new incompatible
layout gets a new version rather than a silent change. Times are timezone-aware ISO 8601.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from protocol.ids import is_uuid7
from protocol.topics import DEVICE_ID_PATTERN, UplinkKind

SCHEMA_VERSION: Final = 1

# Limits shared by both sides: the terminal never builds a message the hub would refuse.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_CHUNK_BYTES = 64 * 1024
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS_PER_REPORT = 9
MAX_NOTE_CHARS = 1000
MAX_RECEIPT_IDS = 1000


def _check_uuid7(value: str) -> str:
    if not is_uuid7(value):
        raise ValueError("must be a lowercase UUIDv7")
    return value


RecordId = Annotated[str, AfterValidator(_check_uuid7)]
DeviceId = Annotated[str, Field(pattern=rf"^{DEVICE_ID_PATTERN}$")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1] = SCHEMA_VERSION


class Position(BaseModel):
    """A WGS-84 fix; ``accuracy_m`` is the 68% horizontal radius, as Android and gpsd report it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)


class PhotoRef(BaseModel):
    """A photo attached to a record, sent separately in chunks and named by its content hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: Sha256Hex
    size: int = Field(gt=0, le=MAX_PHOTO_BYTES)
    chunks: int = Field(ge=1, le=MAX_PHOTO_BYTES // 1024)
    mime: Literal["image/jpeg", "image/png"] = "image/jpeg"


class Record(Message):
    """A durable fact captured on a device: outboxed, receipted, stored once at the hub."""

    id: RecordId
    device_id: DeviceId
    seq: int = Field(ge=1, description="per-device sequence number, gap-free on one device")
    created_at: AwareDatetime = Field(description="device clock when the record was made")


class Severity(str, Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class IncidentReport(Record):
    kind: Literal["report"] = "report"
    category: Code
    note: Note = ""
    severity: Severity = Severity.NORMAL
    position: Position
    photos: list[PhotoRef] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT)
    # Optional (older reports stay valid): the reporter tapped their card first, so the hub can ask them for
    # their 回访 on a later tap (protocol/followup.py). The keyed hash of the card, never a name or number.
    resident_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class CheckinKind(str, Enum):
    WELLBEING = "wellbeing"  # daily check-in of an empty-nest elderly resident (1+1+N watch)
    SERVICE_LEGAL = "service_legal"
    SERVICE_MEDIATION = "service_mediation"
    SERVICE_REPAIR = "service_repair"
    SERVICE_OTHER = "service_other"


class ResidentCheckin(Record):
    kind: Literal["checkin"] = "checkin"
    checkin_kind: CheckinKind
    resident_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="keyed hash (HMAC-SHA256, per-deployment key) of the resident card; never a name or ID number"
    )
    note: Note = ""
    position: Position | None = None


class PositionFix(Record):
    kind: Literal["position"] = "position"
    position: Position
    speed_mps: float | None = Field(default=None, ge=0, le=500)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)


class PatrolLog(Record):
    """One finished patrol (巡逻) of a tablet: when it began and ended, how far was walked and how many positions
    were recorded on the way (each one already sent as a PositionFix) and how many readings were left out (a weak
    signal, an impossible jump). Sent once, when the volunteer ends the patrol; the record time is the end."""

    kind: Literal["patrol"] = "patrol"
    started_at: AwareDatetime
    ended_at: AwareDatetime
    distance_m: float = Field(ge=0, le=1_000_000)
    fixes: int = Field(ge=0, le=1_000_000, description="positions recorded (PositionFix records of this patrol)")
    skipped: int = Field(default=0, ge=0, le=1_000_000,
                         description="readings left out as unreliable (weak signal, impossible jump)")
    grid_code: Code | None = Field(
        default=None, description="the grid the tablet patrols, as configured on it")

    @model_validator(mode="after")
    def _ends_after_start(self) -> PatrolLog:
        if self.ended_at < self.started_at:
            raise ValueError("a patrol cannot end before it started")
        return self


class CaseActionKind(str, Enum):
    """What a field worker can do to a case from a phone (the hub's state machine decides if it still fits)."""

    ACCEPT = "accept"  # 接单
    ARRIVE = "arrive"  # 到场: records position and accuracy
    RESOLVE = "resolve"  # 反馈: evidence photo(s) + note
    RETURN = "return"  # 退回: not mine / cannot handle, with a reason
    VERIFY = "verify"  # 核查: on-site check by someone other than the resolver


class CaseAction(Record):
    """A field worker's action on a dispatched case, made on the phone (often offline) and outboxed like any
    record. The hub applies actions in device-time order; one that no longer fits (the case moved on) is
    kept as a rejected audit event and answered with the current task state, never dropped."""

    kind: Literal["action"] = "action"
    case_id: RecordId
    action: CaseActionKind
    task_id: RecordId | None = Field(default=None, description="the downlink task this answers, if any")
    case_version: int | None = Field(default=None, ge=1, description="the case version the worker saw")
    note: Note = ""
    reason: Note = ""
    position: Position | None = None
    photos: list[PhotoRef] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT)


class PhotoChunk(Message):
    """One slice of a photo; the hub acknowledges each chunk so an upload resumes where it stopped."""

    # raw bytes in Python, base64 in JSON
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    kind: Literal["photo"] = "photo"
    device_id: DeviceId
    sha256: Sha256Hex
    index: int = Field(ge=0)
    count: int = Field(ge=1, le=MAX_PHOTO_BYTES // 1024)
    total_size: int = Field(gt=0, le=MAX_PHOTO_BYTES)
    data: bytes = Field(min_length=1, max_length=MAX_CHUNK_BYTES)


class Heartbeat(Message):
    kind: Literal["heartbeat"] = "heartbeat"
    device_id: DeviceId
    sent_at: AwareDatetime = Field(description="device clock, for skew estimation")
    outbox_depth: int = Field(ge=0)
    photos_pending: int = Field(ge=0, default=0)
    battery_pct: float | None = Field(default=None, ge=0, le=100)
    app_version: Annotated[str, Field(max_length=40)]
    uptime_s: float | None = Field(default=None, ge=0)


class DeliveryState(str, Enum):
    DELIVERED = "delivered"  # stored in the device inbox
    READ = "read"  # shown to a person


class DownlinkConfirm(Message):
    """The device's word that a downlink message is stored in its inbox (or read)."""

    kind: Literal["confirm"] = "confirm"
    device_id: DeviceId
    message_id: RecordId
    state: DeliveryState = DeliveryState.DELIVERED
    at: AwareDatetime


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: RecordId
    reason: Annotated[str, Field(max_length=64)]
    detail: Annotated[str, Field(max_length=500)] = ""


class ChunkAck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: Sha256Hex
    index: int = Field(ge=0)


class PhotoResult(BaseModel):
    """A whole photo assembled and its SHA-256 verified (``ok``), or refused (re-send it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: Sha256Hex
    ok: bool
    reason: Annotated[str, Field(max_length=64)] = ""


class Deferral(BaseModel):
    """An uplink the hub neither stored nor refused (``rate_limited``: over the device's rate limit).

    The device keeps it as it is (a record stays pending, a chunk unacknowledged) and sends it, like every other
    record and chunk, no sooner than ``retry_after_s`` after this receipt. ``chunk`` names a photo chunk;
    ``id`` names a record or, for ``kind`` ``confirm``, the downlink message whose confirmation was put off."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: UplinkKind
    id: RecordId | None = None
    chunk: ChunkAck | None = None
    reason: Annotated[str, Field(max_length=64)] = "rate_limited"
    retry_after_s: float = Field(ge=0, le=86_400)

    @model_validator(mode="after")
    def _names_one_thing(self) -> Deferral:
        named = (self.chunk, self.id) if self.kind is UplinkKind.PHOTO_CHUNK else (self.id, self.chunk)
        if named[0] is None or named[1] is not None:
            raise ValueError("a photo deferral names its chunk, any other its id; never both")
        return self


class Receipt(Message):
    """Sent by the hub only after its database commit: the device's sole reason to retire a record."""

    device_id: DeviceId
    committed: list[RecordId] = Field(default_factory=list, max_length=MAX_RECEIPT_IDS)
    rejected: list[Rejection] = Field(default_factory=list, max_length=MAX_RECEIPT_IDS)
    chunks: list[ChunkAck] = Field(default_factory=list, max_length=MAX_RECEIPT_IDS)
    photos: list[PhotoResult] = Field(default_factory=list, max_length=MAX_RECEIPT_IDS)
    confirmed: list[RecordId] = Field(
        default_factory=list, max_length=MAX_RECEIPT_IDS,
        description="downlink ids whose confirmation the hub has stored",
    )
    # None, not [], when there is nothing to defer: encode() leaves it out, so receipts stay byte-identical for
    # terminals built before this field existed (they forbid unknown fields). See docs/protocol.md.
    deferred: list[Deferral] | None = Field(
        default=None, max_length=MAX_RECEIPT_IDS,
        description="uplinks not stored now and not refused: send them again after their retry_after_s",
    )
    at: AwareDatetime

    @field_validator("deferred")
    @classmethod
    def _empty_is_absent(cls, value: list[Deferral] | None) -> list[Deferral] | None:
        return value or None


class DownlinkMessage(Message):
    """A message the hub keeps for one device until the device confirms it."""

    id: RecordId
    device_id: DeviceId
    kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = Field(
        description="what the body is: task, notice, config, ..."
    )
    body: dict[str, Any] = Field(default_factory=dict)
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class TaskRole(str, Enum):
    HANDLER = "handler"  # must act: accept, arrive, resolve (or return)
    VERIFIER = "verifier"  # must check the resolved work on site
    INFORMED = "informed"  # shown for awareness (the grid's kiosk, the next level up after an escalation)


CaseLevel = Literal["blue", "yellow", "red"]

# Every value the hub sends as TaskBody.why (hub/cases/dispatch.py: why_for() of a case event's transition, and the
# literal whys of dispatch, reminders and level changes), each documented in docs/protocol.md
# (tests/protocol/test_docs_wire_values.py). Deliberately not a Literal on the field: a terminal that forbids values
# it does not know would drop the whole task message of a newer hub that adds one. Receivers treat an unknown why as
# "update".
TASK_WHY_VALUES = frozenset({
    "dispatch", "update", "action_rejected", "reminder", "level", "escalation",  # the hub's own reasons
    "report", "duplicate", "note",  # trail entries that change no state
    "file", "not_file", "reassign", "accept", "arrive", "return", "resolve", "verify", "rework", "close",
    "suspend", "resume", "auto_resolve",  # the case transition that caused the message
})


class PhotoRole(str, Enum):
    """Which photos of a task are which: the resident's report, or the worker's evidence before/after the work."""

    REPORT = "report"  # the report's (and any duplicate report's) photos
    BEFORE = "before"  # taken on arrival (到场), before the work
    AFTER = "after"  # the resolution's (处置反馈) and the verification's evidence


MAX_THUMBNAIL_BYTES = 8 * 1024  # one thumbnail JPEG, raw (hub/cases/thumbnails.py makes a few KiB)
MAX_TASK_THUMBNAIL_BYTES = 96 * 1024  # all of one task's thumbnails, raw: a task stays far below MAX_PAYLOAD_BYTES
_B64 = r"^[A-Za-z0-9+/]*={0,2}$"


class TaskThumbnail(BaseModel):
    """One photo of a task, labelled with its role; ``jpeg_b64`` is a small JPEG (base64), absent while the photo
    has not reached the hub yet or when the task's thumbnail budget is spent (the full photo is fetched by sha256)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: Sha256Hex
    role: PhotoRole
    jpeg_b64: Annotated[str, Field(max_length=(MAX_THUMBNAIL_BYTES + 2) // 3 * 4, pattern=_B64)] | None = None


class TaskBody(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``task``: everything a phone needs to handle a case offline.

    A later task message for the same case supersedes the earlier one on the device (highest
    ``case_version`` wins); ``withdrawn`` removes it from the worker's list (reassigned, returned, closed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case_id: RecordId
    case_version: int = Field(ge=1)
    case_state: Annotated[str, Field(pattern=r"^[a-z_]{1,16}$")]
    role: TaskRole
    withdrawn: bool = False
    why: Annotated[str, Field(pattern=r"^[a-z_]{1,24}$")] = Field(
        default="dispatch", description="what caused the message: one of TASK_WHY_VALUES (dispatch, reassign, "
        "rework, escalation, update, ...); a value not known to the receiver reads as update")
    category: Code
    category_name: Annotated[str, Field(max_length=64)] = ""
    category_name_en: Annotated[str, Field(max_length=128)] = ""
    title: Annotated[str, Field(max_length=128)] = ""
    note: Note = ""
    level: CaseLevel = "blue"
    deadline: AwareDatetime | None = None
    position: Position | None = None
    grid_code: Code | None = None
    reference: Annotated[str, Field(min_length=1, max_length=24)] | None = Field(
        default=None, description="the case's reference (FS-20261204-0042), what the resident and the control "
        "room quote; left out when the case has none")
    photos: list[Sha256Hex] = Field(default_factory=list, max_length=MAX_PHOTOS_PER_REPORT * 4)
    # None, not [], when there are none: the hub leaves the key out, so such a body stays readable by terminals
    # built before this field existed (they forbid unknown fields). See docs/protocol.md.
    thumbnails: list[TaskThumbnail] | None = Field(
        default=None, max_length=MAX_PHOTOS_PER_REPORT * 4,
        description="the photos labelled by role (report / before / after), with small JPEGs where the hub has them")
    actions: list[CaseActionKind] = Field(default_factory=list, description="what this recipient may do now")
    last_action_seq: int | None = Field(
        default=None, ge=1, description="highest seq of THIS device's CaseActions on the case that the hub has "
        "taken into account (applied or rejected): later ones are still on their way and the device shows them")

    @field_validator("thumbnails")
    @classmethod
    def _within_budget(cls, value: list[TaskThumbnail] | None) -> list[TaskThumbnail] | None:
        if value and sum(len(t.jpeg_b64 or "") for t in value) * 3 // 4 > MAX_TASK_THUMBNAIL_BYTES:
            raise ValueError(f"thumbnails exceed {MAX_TASK_THUMBNAIL_BYTES} bytes together")
        return value or None


class NoticeBody(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``notice``: a grid notice shown on the kiosk (网格公告)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(max_length=4000)] = ""
    grid_code: Code | None = None
    published_at: AwareDatetime


CategoryKind = Literal["component", "event"]  # 部件 | 事件 (CJ/T 214)
MAX_TAXONOMY_CATEGORIES = 1000  # keeps the message well under MAX_PAYLOAD_BYTES


class TaxonomyMajor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: CategoryKind
    major_code: Annotated[str, Field(pattern=r"^\d{2}$")]
    name_zh: Annotated[str, Field(max_length=64)]
    name_en: Annotated[str, Field(max_length=128)] = ""


class TaxonomyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    kind: CategoryKind
    major_code: Annotated[str, Field(pattern=r"^\d{2}$")]
    name_zh: Annotated[str, Field(min_length=1, max_length=64)]
    name_en: Annotated[str, Field(max_length=128)] = ""
    urgent: bool = False


class TaxonomyBody(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``taxonomy``: the categories a device offers reporters, as the
    hub's admins have them now (enabled ones only). The newest ``published_at`` wins on the device."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    revision: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")] = Field(description="content hash: same list, same id")
    published_at: AwareDatetime
    major_classes: list[TaxonomyMajor] = Field(default_factory=list, max_length=200)
    categories: list[TaxonomyEntry] = Field(min_length=1, max_length=MAX_TAXONOMY_CATEGORIES)


# Typed bodies of the downlink kinds both sides understand; other kinds stay plain dicts.
DOWNLINK_BODIES: dict[str, type[BaseModel]] = {"task": TaskBody, "notice": NoticeBody, "taxonomy": TaxonomyBody}


class DeviceStatus(Message):
    """Retained presence; the broker publishes the ``offline`` form as the device's last will."""

    device_id: DeviceId
    state: Literal["online", "offline"]
    at: AwareDatetime | None = None
    app_version: Annotated[str, Field(max_length=40)] | None = None


class HubStatus(Message):
    state: Literal["online", "offline"]
    at: AwareDatetime | None = None


def is_record(message: Any) -> bool:
    return isinstance(message, Record)


# -- 查进度: a resident asks a kiosk what became of a report (hub/lookup answers) ---------------------------------
MAX_LOOKUP_CASES = 5
MAX_THUMBNAIL_B64 = 24_000  # a result-photo thumbnail: a few KiB of JPEG, base64 in the JSON body


class LookupRequest(Record):
    """A kiosk asks for the progress of a case by its reference (FS-20261204-0042, dashes optional) or by the
    receipt code the kiosk showed at reporting (the report's record id's last 6 hex digits). A record like any
    other (outboxed, receipted), so a lookup typed while offline is asked once the kiosk is back. The hub answers
    only for cases in the kiosk's own community, with a downlink of kind ``lookup`` (``LookupAnswer``)."""

    kind: Literal["lookup"] = "lookup"
    query: Annotated[str, Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]


LookupStatus = Literal["found", "not_found", "refused"]


class LookupCase(BaseModel):
    """One case as a resident may see it: no reporter, no private note, no place beyond what the kiosk shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reference: Annotated[str, Field(max_length=32)] | None = None
    receipt_code: Annotated[str, Field(pattern=r"^[0-9a-f]{6}$")] | None = None
    state: Annotated[str, Field(pattern=r"^[a-z_]{1,16}$")] = Field(description="a case state (state.* labels)")
    category: Code
    category_name: Annotated[str, Field(max_length=64)] = ""
    category_name_en: Annotated[str, Field(max_length=128)] = ""
    reported_at: AwareDatetime
    deadline: AwareDatetime | None = None
    public_note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = Field(
        default="", description="only a text an operator approved for the public (cases.public_note)")
    result_thumbnail: Annotated[str, Field(max_length=MAX_THUMBNAIL_B64, pattern=r"^[A-Za-z0-9+/=]*$")] = Field(
        default="", description="base64 JPEG thumbnail of the latest resolution photo, empty when there is none")


class LookupAnswer(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``lookup``: the hub's answer to one ``LookupRequest``.
    ``not_found`` also stands for a case outside the kiosk's community (its existence is not revealed);
    ``refused``: the asking device is not a kiosk bound to a community."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    request_id: RecordId
    query: Annotated[str, Field(max_length=32)]
    status: LookupStatus
    cases: list[LookupCase] = Field(default_factory=list, max_length=MAX_LOOKUP_CASES)
    answered_at: AwareDatetime


DOWNLINK_BODIES["lookup"] = LookupAnswer


class DeploymentKeyRotated(BaseModel):
    """Body of a ``DownlinkMessage`` of kind ``deployment_key``, sent to every kiosk when an admin rotates the
    deployment key (the secret resident cards are hashed with). It names the new generation and *not* the key: the
    kiosk fetches the key over HTTPS with its own device account (``GET /api/device/deployment-key``), so the
    secret never sits in the downlink queue or the broker."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    generation: int = Field(ge=1)


DOWNLINK_BODIES["deployment_key"] = DeploymentKeyRotated
