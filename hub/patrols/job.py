"""The patrol job: takes the tablets' stored ``checkpoint`` and ``patrol`` records (the generic ingest stored and
receipted them) into checkpoint visits and patrol sessions, credits each session's volunteer hours, and keeps each
grid's tablets' checkpoint list and each volunteer's balance current by downlink.

- A visit is valid when its GPS fix lies within the checkpoint's radius (great-circle distance), flagged otherwise
  (also with no fix); an unknown checkpoint is kept and counts for nothing.
- A session's checkpoints are the valid visits the same tablet made between the patrol's start and end (device
  time); its half-hour units follow hub/volunteers/ledger.py ``session_units`` and go to the tablet's owner once.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from hub.cases.service import distance_m
from hub.jobs.wakeup import serve_periodic
from hub.org import repo as org_repo
from hub.patrols import repo
from hub.patrols.checkpoints import CheckpointRegistry
from hub.store import DownlinkRow, RecordRow
from hub.store import downlinks as downlink_rows
from hub.store.db import Database
from hub.store.locks import ClusterLock
from hub.volunteers.ledger import Ledger, session_units
from protocol import CheckpointVisit, PatrolLog

log = logging.getLogger(__name__)

BATCH = 500


class Sender(Protocol):
    def send_downlinks(self, rows: Any) -> list[str]: ...


@dataclass
class PatrolPass:
    visits: int = 0
    sessions: int = 0
    units: int = 0
    downlinks: int = 0


class PatrolJob:
    def __init__(self, db: Database, clock: Callable[[], datetime], bridge: Sender | None = None):
        self.db, self.clock, self.bridge = db, clock, bridge
        self.checkpoints = CheckpointRegistry(db, clock=clock)
        self.ledger = Ledger(db, clock=clock)
        self._lists_sent: dict[str, str] = {}  # tablet → checkpoint list body last queued
        self.failures = 0

    def run_once(self) -> PatrolPass:
        now, result = self.clock(), PatrolPass()
        with self.db.read() as conn:
            visits = repo.untaken_visits(conn, BATCH)
        for record in visits:
            result.visits += self._take_visit(record, now)
        with self.db.read() as conn:
            patrols = repo.untaken_patrols(conn, BATCH)
        credited: set[str] = set()
        for record in patrols:
            units, person = self._take_session(record, now)
            result.sessions += 1
            result.units += units
            if person:
                credited.add(person)
        queued = self._checkpoint_lists(now) + self._balances(credited, now)
        result.downlinks = len(queued)
        if queued and self.bridge is not None:
            self.bridge.send_downlinks(queued)  # else the bridge's maintenance sends never-sent downlinks
        return result

    def run_forever(self, stop: threading.Event, interval_s: float = 5.0, *, lock: ClusterLock | None = None) -> None:
        serve_periodic(stop, interval_s, self.run_once, lock=lock, first_wait=False, name="patrols")

    def _take_visit(self, record: RecordRow, now: datetime) -> int:
        try:
            visit = CheckpointVisit.model_validate_json(record.payload)
        except ValueError:
            return 0
        try:
            with self.db.write() as conn:
                self._insert_visit(conn, record, visit, now)
        except sa.exc.IntegrityError:  # another pass or worker took it first
            return 0
        return 1

    @staticmethod
    def _insert_visit(conn: sa.Connection, record: RecordRow, visit: CheckpointVisit, now: datetime) -> None:
        point = repo.checkpoint(conn, visit.checkpoint_id)
        dist = (distance_m(visit.position.lat, visit.position.lon, point["lat"], point["lon"])
                if point is not None and visit.position is not None else None)
        row = {"record_id": record.id, "checkpoint_id": visit.checkpoint_id,
               "grid_code": point["grid_code"] if point else None, "device_id": record.device_id,
               "person_id": org_repo.device_owner(conn, record.device_id), "visited_at": record.device_time,
               "distance_m": dist, "within_radius": dist is not None and point is not None
               and dist <= point["radius_m"], "failed_items": [r.item for r in visit.results if not r.ok],
               "report_ids": [r.report_id for r in visit.results if r.report_id],
               "patrol_started_at": visit.patrol_started_at, "taken_at": now}
        repo.insert_visit(conn, row)

    def _take_session(self, record: RecordRow, now: datetime) -> tuple[int, str | None]:
        try:
            log_ = PatrolLog.model_validate_json(record.payload)
        except ValueError:
            return 0, None
        try:
            with self.db.write() as conn:
                person = org_repo.device_owner(conn, record.device_id)
                seen = repo.visits_of_device(conn, record.device_id, log_.started_at, log_.ended_at)
                valid = list(dict.fromkeys(v["checkpoint_id"] for v in seen if v["within_radius"]))
                units = session_units(log_.started_at, log_.ended_at, checkpoints=len(valid), fixes=log_.fixes)
                grid = log_.grid_code or org_repo.device_unit(conn, record.device_id)
                repo.insert_session(conn, {
                    "record_id": record.id, "device_id": record.device_id, "person_id": person, "grid_code": grid,
                    "started_at": log_.started_at, "ended_at": log_.ended_at, "distance_m": log_.distance_m,
                    "fixes": log_.fixes, "checkpoint_ids": valid, "units": units, "taken_at": now})
                if person and units:
                    self.ledger.credit_session(conn, person, record.id, units, now)
        except sa.exc.IntegrityError:  # another pass or worker took it first
            return 0, None
        return units, person

    def _checkpoint_lists(self, now: datetime) -> list[DownlinkRow]:
        lists = self.checkpoints.lists_by_grid()
        queued: list[DownlinkRow] = []
        fresh: dict[str, str] = {}
        with self.db.write() as conn:
            for grid, body in lists.items():
                data = body.model_dump(mode="json")
                text = downlink_rows.body_json(data)
                tablets = [b.device_id for b in org_repo.bindings_within(conn, grid) if b.kind == "tablet"]
                for tablet in tablets:
                    if self._lists_sent.get(tablet) != text:
                        queued.append(downlink_rows.queue(conn, tablet, "checkpoints", data, now))
                        fresh[tablet] = text
        self._lists_sent.update(fresh)
        return queued

    def _balances(self, people: set[str], now: datetime) -> list[DownlinkRow]:
        """Each credited volunteer's balance to their own devices (tablets and phones)."""
        if not people:
            return []
        queued = []
        balances = {b.person_id: b.body(now).model_dump(mode="json") for b in self.ledger.balances(people)}
        with self.db.write() as conn:
            devices: dict[str, set[str]] = {p: set(phones) for p, phones in org_repo.phones_of(conn, people).items()}
            for b in org_repo.bindings_within(conn, None):
                if b.owner_person_id in people:
                    devices.setdefault(b.owner_person_id, set()).add(b.device_id)
            for person, body in balances.items():
                for device in sorted(devices.get(person, ())):
                    queued.append(downlink_rows.queue(conn, device, "hours", body, now))
        return queued


def send_balance(db: Database, ledger: Ledger, person_id: str, now: datetime) -> list[DownlinkRow]:
    """Queue a volunteer's balance to their devices after a certified entry or a redemption."""
    body = ledger.balance(person_id).body(now).model_dump(mode="json")
    with db.write() as conn:
        devices = set(org_repo.phones_of(conn, [person_id]).get(person_id, []))
        devices |= {b.device_id for b in org_repo.bindings_within(conn, None) if b.owner_person_id == person_id}
        return [downlink_rows.queue(conn, d, "hours", body, now) for d in sorted(devices)]
