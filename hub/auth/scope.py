"""What one operator may see: the subtree of their scope unit, as SQL conditions and checks.

The subtree follows the unit hierarchy (``units.parent_code``), never the spelling of codes: a district's code
does not start with its city's (珠海市 440400 → 香洲区 440402). SQL reads filter by ``IN`` the recursive
``hub.org.repo.unit_subtree`` of the scope unit; single checks walk the unit's ancestor chain (answers cached
for the request), or look in the subtree set once a list needed it. Things that belong to no unit - a device
nobody has bound yet, a case the router could not place, a message refused before its device was known, the
Open311 virtual source - are seen only by operators scoped to the top of the hierarchy (a unit without a parent),
who are the deployment's own staff.

- cases: by grid, else by community (属地兜底 cases have only a community);
- devices, their records, raw downlink messages and dead letters: by the device's binding (device_bindings);
- photos: the uploading device is in scope, or a case in scope cites the photo in an event made BY THAT DEVICE
  (the report it came with, its own resolve evidence). Citing a photo through the API or from another device
  widens nothing, so evidence can never be a way to read another grid's photos;
- people (assignees, helpers, linked persons, device owners): by their unit;
- welfare enrolments and checks: by the enrolment's grid.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from fastapi import HTTPException

from hub.auth.operators import Operator
from hub.cases import repo as case_repo
from hub.org import repo as org_repo
from hub.org.repo import Person
from hub.store import CursorError, HubStore
from hub.store.rows import DeadLetterRow, DeviceRow, PhotoRow, RecordRow


def not_found() -> HTTPException:
    """Outside the scope answers as if absent: another community's things are not even confirmed to exist."""
    return HTTPException(404, "not found")


class OperatorScope:
    """The checks and scoped reads for one operator (built per request: whether the scope is the top of the
    hierarchy, the subtree set and single answers are each worked out once)."""

    def __init__(self, store: HubStore, operator: Operator):
        self.store, self.operator = store, operator
        self._top: bool | None = None
        self._subtree: frozenset[str] | None = None
        self._answers: dict[str, bool] = {}

    @property
    def code(self) -> str:
        return self.operator.scope_code

    @property
    def top(self) -> bool:
        """Scoped to a root unit: sees everything, including what belongs to no unit."""
        if self._top is None:
            with self.store.read() as conn:
                unit = org_repo.unit(conn, self.code)
            self._top = unit is not None and unit.parent_code is None
        return self._top

    # -- units ------------------------------------------------------------------------------------
    def subtree(self) -> frozenset[str]:
        """The codes of the scope unit and every unit under it (read once per request)."""
        if self._subtree is None:
            with self.store.read() as conn:
                self._subtree = org_repo.subtree_codes(conn, self.code)
        return self._subtree

    @property
    def units(self) -> sa.Select[str]:
        """The scope's units as a sub-select for SQL (``IN`` it)."""
        return org_repo.unit_subtree(self.code)

    def sees_unit(self, unit_code: str | None) -> bool:
        """The unit is the scope unit or below it in the hierarchy (the top sees everything, None included)."""
        if self.top:
            return True
        if unit_code is None:
            return False
        if self._subtree is not None:
            return unit_code in self._subtree
        answer = self._answers.get(unit_code)
        if answer is None:
            with self.store.read() as conn:
                chain = org_repo.ancestor_codes(conn, unit_code)
            answer = self._answers[unit_code] = self.operator.sees(unit_code, chain)
        return answer

    def narrow(self, unit: str | None) -> str | None:
        """A requested unit filter made safe: none → the scope; a unit inside → itself; a unit above the
        scope (a community operator asking for the street) → the scope; a unit elsewhere → 404. The top
        unit's operators see everything: their filter is kept as asked (None = no filter)."""
        if self.top:
            return unit
        if unit is None:
            return self.code
        if self.sees_unit(unit):
            return unit
        with self.store.read() as conn:
            above = unit in org_repo.ancestor_codes(conn, self.code)
        if above:
            return self.code
        raise not_found()

    def visible_part(self, unit: str | None) -> tuple[bool, str | None]:
        """For list filters, where another subtree is simply empty rather than 404: (anything visible, the
        unit to filter by)."""
        try:
            return True, self.narrow(unit)
        except HTTPException:
            return False, None

    def require_unit(self, unit_code: str | None) -> None:
        if not self.sees_unit(unit_code):
            raise not_found()

    # -- people -----------------------------------------------------------------------------------
    def person(self, person_id: str | None) -> Person | None:
        """The person, if they belong to a unit in scope (None: no such person, or someone else's)."""
        if not person_id:
            return None
        with self.store.read() as conn:
            found = org_repo.person(conn, person_id)
        return found if found is not None and self.sees_unit(found.unit_code) else None

    # -- cases ------------------------------------------------------------------------------------
    @property
    def case_units(self) -> sa.Select[str] | None:
        """The units a case must belong to, as a sub-select (None: the top sees every case, unplaced ones too)."""
        return None if self.top else self.units

    def require_case(self, case_row: object) -> None:
        """``case_row``: anything with grid_code and community_code (a row, a Case)."""
        self.require_unit(getattr(case_row, "grid_code", None) or getattr(case_row, "community_code", None))

    # -- devices ----------------------------------------------------------------------------------
    def bound_devices(self) -> sa.Select[str]:
        return org_repo.devices_bound_within(self.code)

    @property
    def devices_in(self) -> sa.Select[str] | None:
        """The devices this operator sees, as a sub-select for the owners' queries (None: all of them)."""
        return None if self.top else self.bound_devices()

    def sees_device(self, device_id: str | None) -> bool:
        if self.top:
            return True
        if device_id is None:
            return False
        with self.store.read() as conn:
            unit = org_repo.device_unit(conn, device_id)
        return unit is not None and self.sees_unit(unit)

    def bound_elsewhere(self, device_id: str) -> bool:
        """The device is bound to a unit outside the scope (unbound, or bound inside: False)."""
        with self.store.read() as conn:
            unit = org_repo.device_unit(conn, device_id)
        return unit is not None and not self.sees_unit(unit)

    def require_device(self, device_id: str) -> None:
        if not self.sees_device(device_id):
            raise not_found()

    def devices(self, state: str | None = None) -> list[DeviceRow]:
        return self.store.list_devices(state, devices_in=self.devices_in)

    # -- records: HubStore.list_records limited to devices in scope ---------------------------------
    def records(self, *, kind: str | None = None, device_id: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 100,
                cursor: str | None = None) -> tuple[list[RecordRow], str | None]:
        return self.store.list_records(kind=kind, device_id=device_id, since=since, until=until, limit=limit,
                                       cursor=cursor, devices_in=self.devices_in)

    def dead_letters(self, *, reason: str | None = None, device_id: str | None = None, limit: int = 100,
                     before_id: int | None = None) -> list[DeadLetterRow]:
        return self.store.list_dead_letters(reason=reason, device_id=device_id, limit=limit, before_id=before_id,
                                            devices_in=self.devices_in)

    # -- photos -----------------------------------------------------------------------------------
    def sees_photo(self, photo: PhotoRow) -> bool:
        """The cheap check first (the uploader is in scope: nearly always, since a device uploads the photos
        of its own reports); only then look for a case in scope whose trail cites the photo in an event of the
        uploading device itself (a phone's resolve evidence on a case of a grid it is not bound to)."""
        if self.sees_device(photo.device_id):
            return True
        with self.store.read() as conn:
            return case_repo.cites_photo(conn, photo.sha256, photo.device_id, self.case_units)


__all__ = ["CursorError", "OperatorScope", "not_found"]
