"""Home visits (入户走访, 一表通): a phone's ``HomeVisit`` record, stored once as the visit diary (法律需求日记),
and one service case per need, routed like a kiosk's service request from the visited unit (building, else grid) at the
need's level (网格 / 社区 / 街道), each linked to the visit.

Idempotent: each need's case is keyed by the visit id and the need's index; the diary row is written last and is
the visit's "taken" mark, so a pass that died half-way opens the rest on the next one."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from hub.org import repo as org_repo
from hub.services import repo
from hub.services.desk import ServiceDesk
from hub.store import records as record_rows
from hub.store.rows import RecordRow
from protocol import HomeVisit

log = logging.getLogger(__name__)

LOOKBEHIND = timedelta(seconds=60)


def need_source_id(visit_id: str, index: int) -> str:
    """A case source id (≤ 36 characters) for need ``index`` of a visit: stable across passes and workers."""
    return "v" + hashlib.sha256(f"{visit_id}:{index}".encode()).hexdigest()[:35]


class VisitIntake:
    def __init__(self, desk: ServiceDesk):
        self.desk, self.store = desk, desk.store
        self.cursor: datetime | None = None
        self.failed = 0

    def take(self, record: RecordRow) -> list[str]:
        """Open the visit's service cases and write its diary row; the case ids."""
        visit = HomeVisit.model_validate_json(record.payload)
        with self.store.read() as conn:
            worker = org_repo.device_owner(conn, record.device_id)
            known = org_repo.existing_unit_codes(conn, [c for c in (visit.building_code, visit.grid_code) if c])
            device_unit = org_repo.device_unit(conn, record.device_id)
        unit = next((c for c in (visit.building_code, visit.grid_code) if c and c in known), device_unit)
        grid = visit.grid_code if visit.grid_code in known else None
        if grid is None and unit is not None:
            with self.store.read() as conn:
                grid = next((u.code for u in org_repo.unit_chain(conn, unit) if u.level == "grid"), None)
        case_ids = []
        for index, need in enumerate(visit.needs):
            note = need.note or f"入户走访发现的{need.kind.value}需求 / a need found on a home visit"
            opened = self.desk.open_request(
                need.kind.value, source_id=need_source_id(visit.id, index), origin="visit", unit_code=unit,
                note=note, at=visit.created_at, resident_key=visit.household_key, visit_id=visit.id,
                need_level=need.level.value, source="device")
            case_ids.append(opened.case.id)
        with self.store.write() as conn:
            repo.insert_visit(conn, {
                "id": visit.id, "device_id": record.device_id, "worker": worker, "grid_code": grid,
                "building_code": visit.building_code if visit.building_code in known else None,
                "household_key": visit.household_key, "met": visit.met.value, "private_note": visit.private_note,
                "needs": len(visit.needs), "visited_at": visit.created_at, "received_at": record.received_at})
        return case_ids

    def run_once(self) -> int:
        since = self.cursor - LOOKBEHIND if self.cursor is not None else None
        with self.store.read() as conn:
            found = record_rows.untaken(conn, "visit", repo.visit_taken, since=since, limit=self.desk.batch)
        for record in found:
            try:
                self.take(record)
            except Exception:
                self.failed += 1
                log.exception("home visit %s not taken; retried next pass", record.id)
        if found:
            self.cursor = max(self.cursor or found[-1].received_at, found[-1].received_at)
        return len(found)
