"""``Device``: one terminal (kiosk, patrol tablet, phone) as apps and the simulator use it.

Capture calls write to the local store and return once the record is durable; sending is
the engine's business, so they work the same online and offline.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from protocol import (
    CaseAction,
    CaseActionKind,
    CheckinKind,
    ChecklistResult,
    CheckpointVisit,
    DeliberationComment,
    DeliberationVote,
    DownlinkMessage,
    FollowupAnswer,
    HelperObservation,
    HomeVisit,
    IncidentReport,
    LookupRequest,
    PatrolLog,
    Position,
    PositionFix,
    ResidentCheckin,
    Severity,
)
from terminal.clock import Clock, utc_now
from terminal.enroll import CREDENTIALS_FILE, DeviceCredentials, load_credentials
from terminal.link import Backoff, SyncLink, TlsFiles
from terminal.photos import DEFAULT_CHUNK_BYTES
from terminal.residents import resident_key
from terminal.store import InboxEntry, TerminalStore
from terminal.sync import SyncEngine, SyncStatus
from terminal.tasks import Task, current_tasks

APP_VERSION = "gridline-terminal/0.1.0"


ENROLMENT_GRACE_S = 60.0  # how long after enrolling a refused account is taken for a broker still reloading


def enrolment_grace_s(data_dir: Path) -> float:
    """What is left of the grace after enrolment (the credentials file's age), 0 for a device enrolled long ago."""
    try:
        age = time.time() - (data_dir / CREDENTIALS_FILE).stat().st_mtime
    except OSError:
        return 0.0
    return max(0.0, min(ENROLMENT_GRACE_S, ENROLMENT_GRACE_S - age))


class Device:
    def __init__(self, device_id: str, data_dir: Path | str, broker_url: str, *, app_version: str = APP_VERSION,
                 deployment_key: str | bytes | None = None, clock: Clock = utc_now,
                 on_downlink: Callable[[DownlinkMessage], None] | None = None,
                 chunk_size: int = DEFAULT_CHUNK_BYTES, window: int = 100, chunk_window: int = 8,
                 ack_timeout: float = 30.0, heartbeat_interval: float = 60.0, keepalive: int = 30,
                 backoff: Backoff | None = None, credentials: DeviceCredentials | None = None,
                 tls: TlsFiles | None = None):
        self.device_id = device_id
        self.data_dir = Path(data_dir)
        # An enrolled device speaks with its own account (``gridline terminal enroll``); broker_url "" = the
        # one the hub gave at enrolment.
        credentials = credentials or load_credentials(self.data_dir)
        if credentials is not None and credentials.device_id != device_id:
            raise ValueError(f"{self.data_dir} is enrolled as {credentials.device_id}, not {device_id}")
        if credentials is not None:
            broker_url = broker_url or credentials.broker_url
            tls = tls or TlsFiles(ca_file=credentials.ca_file)
        self.deployment_key = deployment_key
        self.store = TerminalStore(self.data_dir / "terminal.db", device_id, clock=clock,
                                   photos_dir=self.data_dir / "photos", chunk_size=chunk_size)
        self.link = SyncLink(device_id, broker_url, app_version=app_version, keepalive=keepalive, clock=clock,
                             backoff=backoff, tls=tls, username=credentials.username if credentials else None,
                             password=credentials.password if credentials else None,
                             auth_grace_s=enrolment_grace_s(self.data_dir) if credentials else 0.0)
        self.engine = SyncEngine(self.store, self.link, window=window, chunk_window=chunk_window,
                                 ack_timeout=ack_timeout, heartbeat_interval=heartbeat_interval,
                                 app_version=app_version, on_downlink=on_downlink)
        self._started = False

    def start(self) -> Device:
        self.engine.start()
        self._started = True
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._started:
            self.engine.stop(timeout)
            self._started = False
        self.store.close()

    def __enter__(self) -> Device:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- capture -----------------------------------------------------------------------------
    def report(self, category: str, lat: float, lon: float, *, accuracy_m: float = 10.0, note: str = "",
               severity: Severity | str = Severity.NORMAL, photos: Sequence[bytes] = (),
               resident_key: str | None = None) -> IncidentReport:
        """``resident_key``: the keyed hash of the card the reporter tapped first (for the 回访 on a later tap)."""
        record = self.store.record_report(category, Position(lat=lat, lon=lon, accuracy_m=accuracy_m), note=note,
                                          severity=severity, photos=photos, resident_key=resident_key)
        self.engine.kick()
        return record

    def checkin(self, checkin_kind: CheckinKind | str, *, card_number: str | None = None,
                resident_key_hex: str | None = None, note: str = "", lat: float | None = None,
                lon: float | None = None, accuracy_m: float = 10.0) -> ResidentCheckin:
        """Pass the card number (hashed here with the deployment key, never stored) or a ready key."""
        if card_number is not None:
            if self.deployment_key is None:
                raise ValueError("this device has no deployment key to hash resident cards with")
            resident_key_hex = resident_key(card_number, self.deployment_key)
        if resident_key_hex is None:
            raise ValueError("a check-in needs card_number or resident_key_hex")
        position = Position(lat=lat, lon=lon, accuracy_m=accuracy_m) if lat is not None and lon is not None else None
        record = self.store.record_checkin(checkin_kind, resident_key_hex, note=note, position=position)
        self.engine.kick()
        return record

    def position(self, lat: float, lon: float, *, accuracy_m: float = 10.0, speed_mps: float | None = None,
                 heading_deg: float | None = None) -> PositionFix:
        record = self.store.record_position(Position(lat=lat, lon=lon, accuracy_m=accuracy_m), speed_mps=speed_mps,
                                            heading_deg=heading_deg)
        self.engine.kick()
        return record

    def patrol_log(self, started_at: datetime, ended_at: datetime, *, distance_m: float, fixes: int,
                   skipped: int = 0, grid_code: str | None = None) -> PatrolLog:
        """A finished patrol's summary for the hub, durable at once like every record."""
        record = self.store.record_patrol(started_at, ended_at, distance_m=distance_m, fixes=fixes, skipped=skipped,
                                          grid_code=grid_code)
        self.engine.kick()
        return record

    def act(self, task: Task, action: CaseActionKind | str, *, note: str = "", reason: str = "",
            lat: float | None = None, lon: float | None = None, accuracy_m: float = 10.0,
            photos: Sequence[bytes] = ()) -> CaseAction:
        """Accept / arrive / resolve / return / verify a task; durable at once, sent when the link allows."""
        position = Position(lat=lat, lon=lon, accuracy_m=accuracy_m) if lat is not None and lon is not None else None
        record = self.store.record_case_action(task.case_id, action, task_id=task.message_id,
                                               case_version=task.body.case_version, note=note, reason=reason,
                                               position=position, photos=photos)
        self.engine.kick()
        return record

    def followup(self, case_id: str, reference: str, answer: str, *, resident_key: str | None = None,
                 words: str = "", via: str = "prompt", prompt_id: str | None = None) -> FollowupAnswer:
        """A resident's 回访 answer (满意 / 基本满意 / 不满意 + words) to a closed case they reported."""
        record = self.store.record_followup(case_id, reference, answer, resident_key=resident_key, words=words,
                                            via=via, prompt_id=prompt_id)
        self.engine.kick()
        return record

    def vote(self, topic_id: str, resident_key_hex: str, option: str) -> DeliberationVote:
        """A resident's 议事 vote; the hub answers it with a downlink of kind ``vote_answer``."""
        record = self.store.record_vote(topic_id, resident_key_hex, option)
        self.engine.kick()
        return record

    def comment(self, topic_id: str, resident_key_hex: str, text: str) -> DeliberationComment:
        """A resident's 议事 comment (published only once an operator approves it)."""
        record = self.store.record_comment(topic_id, resident_key_hex, text)
        self.engine.kick()
        return record

    def checkpoint_visit(self, checkpoint_id: str, *, position: Position | None,
                         results: Sequence[ChecklistResult] = (), patrol_started_at: datetime | None = None,
                         note: str = "") -> CheckpointVisit:
        """A checkpoint's QR scanned on patrol and its checklist's results (failed items name their reports)."""
        record = self.store.record_checkpoint({"checkpoint_id": checkpoint_id, "position": position,
                                               "results": list(results), "patrol_started_at": patrol_started_at,
                                               "note": note})
        self.engine.kick()
        return record

    def observe(self, resident_key_hex: str, verdict: str, *, signs: Sequence[str] = (), via: str = "helper",
                note: str = "") -> HelperObservation:
        """A helper's 平安 (``safe``) / 异常 (``abnormal``) for a watched resident, judged by the hub at this
        moment of the device clock however late it syncs."""
        record = self.store.record_observation(resident_key_hex, verdict, signs=signs, via=via, note=note)
        self.engine.kick()
        return record

    def lookup(self, query: str) -> LookupRequest:
        """Ask the hub for a case's progress (查进度); the answer arrives as a downlink of kind ``lookup``."""
        record = self.store.record_lookup(query)
        self.engine.kick()
        return record

    def visit(self, needs: Sequence[tuple[str, str]], *, grid_code: str | None = None,
              building_code: str | None = None, household_key: str | None = None, met: str = "resident",
              private_note: str = "") -> HomeVisit:
        """A home visit (入户走访) with its needs as (kind, level) pairs; the hub opens one service case per need."""
        record = self.store.record_visit({
            "grid_code": grid_code, "building_code": building_code, "household_key": household_key, "met": met,
            "private_note": private_note, "needs": [{"kind": kind, "level": level} for kind, level in needs]})
        self.engine.kick()
        return record

    # --- inbox and status --------------------------------------------------------------------
    def tasks(self) -> list[Task]:
        return current_tasks(self.store)

    def inbox(self, *, unapplied_only: bool = False) -> list[InboxEntry]:
        return self.store.inbox(unapplied_only=unapplied_only)

    def mark_read(self, message_id: str) -> None:
        """The person has seen it; the hub learns via a READ confirmation."""
        self.store.mark_read(message_id)
        self.engine.confirm_read(message_id)

    def status(self) -> SyncStatus:
        return self.engine.status()

    def wait_drained(self, timeout: float) -> bool:
        """True once every record is receipted and every photo verified by the hub."""
        return self.engine.wait_drained(timeout)

    def wait_connected(self, timeout: float) -> bool:
        return self.link.wait_connected(timeout)
