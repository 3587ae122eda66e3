"""Welfare enrolments (1+1+N 结对关爱): who is watched, when, and who helps — all by pseudonymous key.

1+1+N: one primary helper (a neighbour or volunteer, who gets the task), the grid worker as the second
(fallback assignee), and N more people informed. Names and ID numbers of residents never reach the hub:
an enrolment holds the resident_key the kiosk computes and a staff-chosen, non-identifying label.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from hub.cases.states import FIELD_ROLES
from hub.org import repo as org_repo
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.welfare import repo
from hub.welfare.schedule import ALL_DAYS, ScheduleError, check_window, normalise_weekdays, parse_hhmm
from protocol import uuid7

RESIDENT_KEY = re.compile(r"^[0-9a-f]{64}$")
MAX_LABEL = 64
MAX_INFORMED = 20
# Who may enrol, edit or pause a resident: staff of the community, not volunteers.
STAFF_ROLES = frozenset({"grid_leader", "grid_worker", "dispatcher", "supervisor"})


class EnrolmentError(ValueError):
    """Bad enrolment input (the message is zh / en)."""


class EnrolmentNotFound(LookupError):
    pass


class AlreadyEnrolled(EnrolmentError):
    def __init__(self, enrolment_id: str):
        super().__init__(f"该居民已登记（{enrolment_id}）/ resident already enrolled as {enrolment_id}")
        self.enrolment_id = enrolment_id


@dataclass(frozen=True)
class Enrolment:
    id: str
    resident_key: str
    label: str
    grid_code: str
    window_start: time
    window_end: time
    weekdays: str
    primary_helper: str
    second_helper: str | None
    informed: list[str]
    active: bool
    active_since: datetime
    paused_reason: str
    paused_until: date | None
    enrolled_by: str
    enrolled_at: datetime
    updated_by: str
    updated_at: datetime
    deadline: time | None = None  # local time by which any evidence settles the day; None = window_end

    def paused_on(self, day: date) -> bool:
        return not self.active and (self.paused_until is None or day <= self.paused_until)


@dataclass(frozen=True)
class EnrolmentSpec:
    """What staff give to enrol a resident (also the shape of the sample file's items)."""

    resident_key: str
    grid_code: str
    window_start: str | time
    window_end: str | time
    primary_helper: str
    label: str = ""
    weekdays: Iterable[int] | str = ALL_DAYS
    second_helper: str | None = None  # default: the grid's grid worker
    informed: list[str] = field(default_factory=list)
    deadline: str | time | None = None  # by when a helper's 平安 (or any evidence) must exist; default window_end


def _row(m: dict[str, Any]) -> Enrolment:
    m["informed"] = list(m["informed"] or [])
    return Enrolment(**m)


class EnrolmentRegistry:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now):
        self.db = db
        self.clock = clock

    # -- reads ----------------------------------------------------------------------------------
    def get(self, enrolment_id: str) -> Enrolment:
        with self.db.read() as conn:
            row = repo.enrolment_row(conn, enrolment_id)
        if row is None:
            raise EnrolmentNotFound(f"no welfare enrolment {enrolment_id}")
        return _row(row)

    def by_resident(self, resident_key: str) -> Enrolment | None:
        with self.db.read() as conn:
            row = repo.enrolment_by_resident(conn, resident_key)
        return _row(row) if row else None

    def list(self, *, under: str | None = None, active: bool | None = None) -> list[Enrolment]:
        """Enrolments in the subtree of unit ``under`` (by the unit hierarchy), by grid then label."""
        with self.db.read() as conn:
            return [_row(r) for r in repo.enrolment_rows(conn, under=under, active=active)]

    # -- writes ---------------------------------------------------------------------------------
    def enrol(self, spec: EnrolmentSpec, actor: str) -> Enrolment:
        now = self.clock()
        with self.db.write() as conn:
            self._check_actor(conn, actor)
            key = spec.resident_key.strip().lower()
            if not RESIDENT_KEY.match(key):
                raise EnrolmentError("resident_key 须为 64 位十六进制（终端生成的 HMAC）/ resident_key must be the "
                                     "64-hex HMAC made on the terminal — never a name or ID number")
            seen = repo.enrolment_by_resident(conn, key)
            if seen is not None:
                raise AlreadyEnrolled(seen["id"])
            values = self._validated(conn, {
                "label": spec.label, "grid_code": spec.grid_code, "window_start": spec.window_start,
                "window_end": spec.window_end, "weekdays": spec.weekdays, "primary_helper": spec.primary_helper,
                "second_helper": spec.second_helper, "informed": spec.informed, "deadline": spec.deadline},
                fill_second=True)
            row = {"id": uuid7(int(now.timestamp() * 1000)), "resident_key": key, **values, "active": True,
                   "active_since": now, "paused_reason": "", "paused_until": None, "enrolled_by": actor,
                   "enrolled_at": now, "updated_by": actor, "updated_at": now}
            try:
                repo.insert_enrolment(conn, row)
            except sa.exc.IntegrityError:  # a concurrent enrolment of the same resident won (unique key)
                raise AlreadyEnrolled("(concurrent)") from None
        return self.get(row["id"])

    def update(self, enrolment_id: str, actor: str, **changes) -> Enrolment:
        """Change label, grid, window, weekdays or helpers; unknown fields are refused."""
        allowed = {"label", "grid_code", "window_start", "window_end", "weekdays", "primary_helper", "second_helper",
                   "informed", "deadline"}
        unknown = set(changes) - allowed
        if unknown:
            raise EnrolmentError(f"不能修改 {sorted(unknown)} / cannot change {sorted(unknown)}")
        with self.db.write() as conn:
            self._check_actor(conn, actor)
            current = self._locked(conn, enrolment_id)
            merged = {k: getattr(current, k) for k in allowed} | changes
            moved = changes.get("grid_code", current.grid_code) != current.grid_code
            if moved and "second_helper" not in changes:
                merged["second_helper"] = None  # the new grid's worker becomes the second helper
            values = self._validated(conn, merged, fill_second=moved)
            self._save(conn, enrolment_id, actor, values)
        return self.get(enrolment_id)

    def pause(self, enrolment_id: str, actor: str, reason: str, until: date | None = None) -> Enrolment:
        """Stop the watch (hospital stay, away with family); ``until`` = last paused local day, or open-ended."""
        if not reason.strip():
            raise EnrolmentError("暂停须填写原因 / a pause needs a reason")
        with self.db.write() as conn:
            self._check_actor(conn, actor)
            self._locked(conn, enrolment_id)
            self._save(conn, enrolment_id, actor, {"active": False, "paused_reason": reason.strip()[:500],
                                                   "paused_until": until})
        return self.get(enrolment_id)

    def resume(self, enrolment_id: str, actor: str) -> Enrolment:
        """Watch again from now: a window that opened before the resume is not held against the resident."""
        with self.db.write() as conn:
            self._check_actor(conn, actor)
            current = self._locked(conn, enrolment_id)
            if current.active:
                return current
            self._save(conn, enrolment_id, actor, {"active": True, "active_since": self.clock(), "paused_reason": "",
                                                   "paused_until": None})
        return self.get(enrolment_id)

    # -- helpers --------------------------------------------------------------------------------
    def _locked(self, conn: sa.Connection, enrolment_id: str) -> Enrolment:
        row = repo.enrolment_row(conn, enrolment_id, lock=True)
        if row is None:
            raise EnrolmentNotFound(f"no welfare enrolment {enrolment_id}")
        return _row(row)

    def _save(self, conn: sa.Connection, enrolment_id: str, actor: str, values: dict[str, Any]) -> None:
        repo.update_enrolment(conn, enrolment_id, values | {"updated_by": actor, "updated_at": self.clock()})

    @staticmethod
    def _check_actor(conn: sa.Connection, actor: str) -> None:
        role = org_repo.person_role(conn, actor)
        if role is None:
            raise EnrolmentError(f"未知人员 {actor} / unknown person {actor!r}")
        if role not in STAFF_ROLES:
            raise EnrolmentError(f"角色 {role} 无权登记关爱对象 / role {role!r} may not manage welfare enrolments")

    @staticmethod
    def _validated(conn: sa.Connection, v: dict[str, Any], *, fill_second: bool) -> dict[str, Any]:
        try:
            start, end = parse_hhmm(v["window_start"]), parse_hhmm(v["window_end"])
            check_window(start, end)
            deadline = parse_hhmm(v["deadline"]) if v.get("deadline") is not None else None
            if deadline is not None and deadline < end:
                raise ScheduleError("截止时间不能早于签到时段结束 / the deadline cannot be before the window ends")
            weekdays = normalise_weekdays(v["weekdays"])
        except ScheduleError as bad:
            raise EnrolmentError(str(bad)) from None
        label = (v["label"] or "").strip()
        if len(label) > MAX_LABEL:
            raise EnrolmentError(f"标签最多 {MAX_LABEL} 字 / label at most {MAX_LABEL} characters")
        grid = org_repo.unit(conn, v["grid_code"])
        if grid is None or grid.level != "grid":
            raise EnrolmentError(f"{v['grid_code']} 不是网格 / {v['grid_code']!r} is not a grid")
        second = v["second_helper"]
        if fill_second and second is None:
            workers = org_repo.people_at(conn, v["grid_code"], ["grid_worker"])
            second = workers[0] if workers else None
        informed = list(dict.fromkeys(v["informed"] or []))
        if len(informed) > MAX_INFORMED:
            raise EnrolmentError(f"知会人最多 {MAX_INFORMED} 人 / at most {MAX_INFORMED} people informed")
        wanted = [v["primary_helper"], *([second] if second else []), *informed]
        roles = org_repo.person_roles(conn, wanted)
        missing = [p for p in wanted if p not in roles]
        if missing:
            raise EnrolmentError(f"未知人员 {missing} / unknown people {missing}")
        for who in (v["primary_helper"], second):
            # Helpers get the task on their phone and must be able to accept and resolve it.
            if who and roles[who] not in FIELD_ROLES:
                raise EnrolmentError(f"{who}（{roles[who]}）不能承接关爱任务 / {who} ({roles[who]}) cannot take "
                                     f"tasks; a helper must be one of {sorted(FIELD_ROLES)}")
        if second == v["primary_helper"]:
            raise EnrolmentError("第二帮扶人须与第一帮扶人不同 / the second helper must differ from the primary")
        return {"label": label, "grid_code": v["grid_code"], "window_start": start, "window_end": end,
                "weekdays": weekdays, "primary_helper": v["primary_helper"], "second_helper": second,
                "informed": informed, "deadline": deadline}
