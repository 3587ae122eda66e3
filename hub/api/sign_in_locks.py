"""Sign-in locks of an account, for admins: see them and lift them (hub/auth/operators.py has the throttle).

Wrong passwords lock the (account, client address) pair that sent them, briefly and longer with each lock in a
row; guesses from many addresses lock the account for addresses that never signed in to it. Both end by
themselves; an admin who knows the user ends them at once with ``POST /api/operators/{id}/unlock``. Admins only,
and only for accounts scoped inside their own subtree (anything else is 404). Each unlock is in the access log
(a state-changing call) and in the hub's log as a warning.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hub.auth.access_log import note_access
from hub.auth.http import AdminDep, DirectoryDep, ScopeDep
from hub.auth.operators import Operator, OperatorDirectory, SignInLock

router = APIRouter(prefix="/operators", tags=["operators"])


class SignInLockOut(BaseModel):
    client: str = Field(description="the client address, or '*' for the account across every address")
    failures: int = Field(description="wrong passwords counted towards the next lock")
    lockouts: int = Field(description="locks in a row (each lasts twice as long as the one before, up to a cap)")
    locked_until: datetime | None
    locked: bool

    @classmethod
    def of(cls, lock: SignInLock, now: datetime) -> SignInLockOut:
        return cls(client=lock.client, failures=lock.failures, lockouts=lock.lockouts,
                   locked_until=lock.locked_until, locked=lock.locked(now))


class UnlockOut(BaseModel):
    operator_id: str
    lifted: list[SignInLockOut] = Field(description="the counts and locks there were (now gone)")


def _target(directory: OperatorDirectory, scope: ScopeDep, operator_id: str) -> Operator:
    target = directory.get(operator_id)
    if target is None:
        raise HTTPException(404, f"no operator {operator_id}")
    scope.require_unit(target.scope_code)  # outside the admin's subtree: 404 as if absent
    return target


@router.get("/{operator_id}/sign-in-locks", response_model=list[SignInLockOut])
def sign_in_locks(operator_id: str, admin: AdminDep, scope: ScopeDep,
                  directory: DirectoryDep) -> list[SignInLockOut]:
    """The account's sign-in counts and locks, per client address ('*': across every address)."""
    target = _target(directory, scope, operator_id)
    now = directory.clock()
    return [SignInLockOut.of(lock, now) for lock in directory.sign_in_locks(target.id)]


@router.post("/{operator_id}/unlock", response_model=UnlockOut)
def unlock(operator_id: str, admin: AdminDep, scope: ScopeDep, directory: DirectoryDep, request: Request,
           client: Annotated[str | None, Query(max_length=64, description="only this client address ('*': the "
                                               "account-wide lock); omit to lift every lock of the account")] = None,
           ) -> UnlockOut:
    """Lift the account's sign-in locks (all, or one address's) and reset their counts."""
    target = _target(directory, scope, operator_id)
    lifted = directory.unlock(target.id, client=client, by=admin.username)
    note_access(request, username=target.username, client=client or "all",
                unlocked=[lock.client for lock in lifted])
    now = directory.clock()
    return UnlockOut(operator_id=target.id, lifted=[SignInLockOut.of(lock, now) for lock in lifted])

