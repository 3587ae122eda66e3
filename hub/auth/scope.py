"""What one operator may see: the subtree of their scope unit, as SQL conditions and checks.

Unit codes nest by prefix (grid 15 = community 12 + 3 = street 9 + 3 ...), so "in my subtree" is a prefix
match, the same rule as :meth:`Operator.sees`. Things that belong to no unit - a device nobody has bound
yet, a case the router could not place, a message refused before its device was known, the Open311
virtual source - are seen only by operators scoped to the top of the hierarchy (a unit without a parent),
who are the deployment's own staff.

- cases: by grid, else by community (属地兜底 cases have only a community);
- devices, their records, raw downlink messages and dead letters: by the device's binding (device_bindings);
- photos: the uploading device is in scope, or a case in scope cites the photo in its trail (the report it
  came with, or resolve evidence);
- welfare enrolments and checks: by the enrolment's grid.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from fastapi import HTTPException

from hub.auth.operators import Operator
from hub.cases import repo as case_repo
from hub.org import repo as org_repo
from hub.store import CursorError, HubStore
from hub.store.rows import DeadLetterRow, DeviceRow, PhotoRow, RecordRow


def not_found() -> HTTPException:
    """Outside the scope answers as if absent: another community's things are not even confirmed to exist."""
    return HTTPException(404, "not found")


class OperatorScope:
    """The checks and scoped reads for one operator (built per request; one small query at most to know
    whether the scope is the top of the hierarchy)."""

    def __init__(self, store: HubStore, operator: Operator):
        self.store, self.operator = store, operator
        self._top: bool | None = None

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
    def narrow(self, unit: str | None) -> str | None:
        """A requested unit filter made safe: none → the scope; a unit inside → itself; a unit above the
        scope (a community operator asking for the street) → the scope; a unit elsewhere → 404. The top
        unit's operators see everything: their filter is kept as asked (None = no filter)."""
        if self.top:
            return unit
        if unit is None or self.code.startswith(unit):
            return self.code
        if unit.startswith(self.code):
            return unit
        raise not_found()

    def visible_part(self, unit: str | None) -> tuple[bool, str | None]:
        """For list filters, where another subtree is simply empty rather than 404: (anything visible, the
        unit to filter by)."""
        try:
            return True, self.narrow(unit)
        except HTTPException:
            return False, None

    def require_unit(self, unit_code: str | None) -> None:
        if not (self.top or self.operator.sees(unit_code)):
            raise not_found()

    # -- cases ------------------------------------------------------------------------------------
    @property
    def case_prefix(self) -> str | None:
        """The code prefix a case's unit must have (None: the top sees every case)."""
        return None if self.top else self.code

    def require_case(self, case_row: object) -> None:
        """``case_row``: anything with grid_code and community_code (a row, a Case)."""
        self.require_unit(getattr(case_row, "grid_code", None) or getattr(case_row, "community_code", None))

    # -- devices ----------------------------------------------------------------------------------
    def bound_devices(self) -> sa.Select[str]:
        return org_repo.devices_bound_under(self.code)

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
            return org_repo.is_bound_under(conn, device_id, self.code)

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
        of its own reports); only then look for a case in scope that cites the photo in its trail."""
        if self.sees_device(photo.device_id):
            return True
        with self.store.read() as conn:
            return case_repo.cites_photo(conn, photo.sha256, self.case_prefix)


__all__ = ["CursorError", "OperatorScope", "not_found"]
