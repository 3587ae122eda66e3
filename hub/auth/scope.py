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

from hub.store import CursorError
from hub.store.rows import DeadLetterRow, DeviceRow, PhotoRow, RecordRow
from hub.store.tables import case_events, cases, dead_letters, device_bindings, devices, records, units

from hub.auth.operators import Operator


def not_found() -> HTTPException:
    """Outside the scope answers as if absent: another community's things are not even confirmed to exist."""
    return HTTPException(404, "not found")


def _under(column, code: str):
    return column.like(f"{code}%")


class OperatorScope:
    """The checks and scoped reads for one operator (built per request; one small query at most to know
    whether the scope is the top of the hierarchy)."""

    def __init__(self, engine: sa.Engine, operator: Operator):
        self.engine, self.operator = engine, operator
        self._top: bool | None = None

    @property
    def code(self) -> str:
        return self.operator.scope_code

    @property
    def top(self) -> bool:
        """Scoped to a root unit: sees everything, including what belongs to no unit."""
        if self._top is None:
            with self.engine.connect() as conn:
                parent = conn.execute(sa.select(units.c.parent_code).where(units.c.code == self.code)).first()
            self._top = parent is not None and parent.parent_code is None
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
    def case_condition(self):
        if self.top:
            return sa.true()
        return _under(sa.func.coalesce(cases.c.grid_code, cases.c.community_code), self.code)

    def require_case(self, case_row) -> None:
        """``case_row``: anything with grid_code and community_code (a row, a Case)."""
        self.require_unit(case_row.grid_code or case_row.community_code)

    # -- devices ----------------------------------------------------------------------------------
    def bound_devices(self) -> sa.Select:
        return sa.select(device_bindings.c.device_id).where(_under(device_bindings.c.unit_code, self.code))

    def device_condition(self, column):
        return sa.true() if self.top else column.in_(self.bound_devices())

    def sees_device(self, device_id: str | None) -> bool:
        if self.top:
            return True
        if device_id is None:
            return False
        with self.engine.connect() as conn:
            return conn.execute(self.bound_devices().where(device_bindings.c.device_id == device_id)).first() \
                is not None

    def require_device(self, device_id: str) -> None:
        if not self.sees_device(device_id):
            raise not_found()

    def devices(self, state: str | None = None) -> list[DeviceRow]:
        query = sa.select(devices).where(self.device_condition(devices.c.id)).order_by(devices.c.id)
        if state:
            query = query.where(devices.c.state == state)
        with self.engine.connect() as conn:
            return [DeviceRow(**r._mapping) for r in conn.execute(query)]

    # -- records: HubStore.list_records limited to devices in scope ---------------------------------
    def records(self, store, **filters) -> tuple[list[RecordRow], str | None]:
        return store.list_records(where=self.device_condition(records.c.device_id), **filters)

    def dead_letters(self, *, reason: str | None = None, device_id: str | None = None, limit: int = 100,
                     before_id: int | None = None) -> list[DeadLetterRow]:
        query = (sa.select(dead_letters).where(self.device_condition(dead_letters.c.device_id))
                 .order_by(dead_letters.c.id.desc()).limit(limit))
        if reason:
            query = query.where(dead_letters.c.reason == reason)
        if device_id:
            query = query.where(dead_letters.c.device_id == device_id)
        if before_id is not None:
            query = query.where(dead_letters.c.id < before_id)
        with self.engine.connect() as conn:
            return [DeadLetterRow(**r._mapping) for r in conn.execute(query)]

    # -- photos -----------------------------------------------------------------------------------
    def sees_photo(self, photo: PhotoRow) -> bool:
        """The cheap check first (the uploader is in scope: nearly always, since a device uploads the photos
        of its own reports); only then look for a case in scope that cites the photo in its trail."""
        if self.sees_device(photo.device_id):
            return True
        cited = sa.select(case_events.c.case_id).where(
            sa.cast(case_events.c.evidence, sa.Text).contains(photo.sha256))
        query = sa.select(cases.c.id).where(self.case_condition(), cases.c.id.in_(cited)).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None


__all__ = ["CursorError", "OperatorScope", "not_found"]
