"""The volunteer-hour ledger (志愿服务时长), in half-hour units; no rankings (banned for grid work since 2023), so
nothing here sorts people by their hours.

- 信用时 (``system``): from patrol sessions, credited by the hub once per session (its record id is the entry's
  source). Hours count from checkpoints and time on route, never distance alone: a session earns its time on route
  in whole half hours when it visited at least one checkpoint within its radius or recorded its track
  (:func:`session_units`).
- 荣誉时 (``certified``): added by an organiser (staff) with a reason.
- 兑换 (``redemption``): recorded by an operator, never beyond the balance.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.org import repo as org_repo
from hub.store.clock import utc_now
from hub.store.db import Database
from hub.volunteers import repo
from protocol import HoursBalance, uuid7

UNIT = timedelta(minutes=30)
MAX_UNITS_PER_ENTRY = 2 * 24 * 7  # a week of hours: a typing slip, not a real entry
ORGANISER_ROLES = frozenset({"grid_leader", "grid_worker", "dispatcher", "supervisor", "community_staff",
                             "community_secretary", "committee_member", "street_staff"})
KINDS = ("system", "certified", "redemption")
VOLUNTEER_ROLES = frozenset({"patrol_volunteer", "helper", "building_head"})


class LedgerError(ValueError):
    """Refused (zh / en message)."""


def session_units(started_at: datetime, ended_at: datetime, *, checkpoints: int, fixes: int) -> int:
    """Whole half hours on route, when the session shows it was on route (a checkpoint, or a recorded track)."""
    if checkpoints <= 0 and fixes <= 0:
        return 0
    return max(0, int((ended_at - started_at) / UNIT))


@dataclass(frozen=True)
class Balance:
    person_id: str
    system_units: int
    certified_units: int
    redeemed_units: int

    @property
    def balance_units(self) -> int:
        return self.system_units + self.certified_units - self.redeemed_units

    def body(self, now: datetime) -> HoursBalance:
        return HoursBalance(person_id=self.person_id, system_units=self.system_units,
                            certified_units=self.certified_units, redeemed_units=self.redeemed_units,
                            balance_units=self.balance_units, as_of=now)


class Ledger:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now):
        self.db, self.clock = db, clock

    def balances(self, person_ids: Iterable[str]) -> list[Balance]:
        """By person id (never by hours: no ranking)."""
        people = sorted(set(person_ids))
        with self.db.read() as conn:
            totals = repo.totals(conn, people)
        return [Balance(p, totals.get(p, {}).get("system", 0), totals.get(p, {}).get("certified", 0),
                        -totals.get(p, {}).get("redemption", 0)) for p in people]

    def balance(self, person_id: str) -> Balance:
        return self.balances([person_id])[0]

    def volunteers_in(self, under: str | None) -> list[tuple[str, str, str]]:
        """(person id, name, role) of the subtree's people who patrol or help, or have any ledger entry."""
        with self.db.read() as conn:
            people = org_repo.people_within(conn, under)
            booked = repo.totals(conn, [p.id for p in people])
        return [(p.id, p.name, p.role) for p in people if p.role in VOLUNTEER_ROLES or p.id in booked]

    def entries(self, person_ids: Iterable[str]) -> list[dict]:
        with self.db.read() as conn:
            return repo.entries(conn, person_ids)

    def credit_session(self, conn: sa.Connection, person_id: str, session_id: str, units: int, at: datetime) -> None:
        """信用时 for one patrol session, inside the caller's transaction (its unique source refuses a second)."""
        repo.insert(conn, {"id": uuid7(int(at.timestamp() * 1000)), "person_id": person_id, "kind": "system",
                           "units": units, "source_id": session_id, "reason": "巡逻 / patrol",
                           "recorded_by": "system", "at": at})

    def certify(self, person_id: str, units: int, reason: str, actor: str) -> dict:
        """荣誉时 added by an organiser, with a reason."""
        return self._manual(person_id, units, reason, actor, "certified")

    def redeem(self, person_id: str, units: int, reason: str, actor: str) -> dict:
        """兑换 recorded by an operator; never more than the balance."""
        if units > self.balance(person_id).balance_units:
            raise LedgerError("兑换超过余额 / the redemption is more than the balance")
        return self._manual(person_id, units, reason, actor, "redemption")

    def _manual(self, person_id: str, units: int, reason: str, actor: str, kind: str) -> dict:
        if not 0 < units <= MAX_UNITS_PER_ENTRY:
            raise LedgerError(f"时长须为 1–{MAX_UNITS_PER_ENTRY} 个半小时 / units must be 1..{MAX_UNITS_PER_ENTRY} "
                              "half hours")
        if not reason.strip():
            raise LedgerError("须填写事由 / a reason is required")
        now = self.clock()
        with self.db.write() as conn:
            role = org_repo.person_role(conn, actor)
            if role not in ORGANISER_ROLES:
                raise LedgerError(f"角色 {role} 无权记录时长 / role {role!r} may not record hours")
            if org_repo.person(conn, person_id) is None:
                raise LedgerError(f"未知人员 {person_id} / unknown person {person_id!r}")
            row = {"id": uuid7(int(now.timestamp() * 1000)), "person_id": person_id, "kind": kind,
                   "units": units if kind == "certified" else -units, "source_id": None,
                   "reason": reason.strip()[:500], "recorded_by": actor, "at": now}
            repo.insert(conn, row)
        return row
