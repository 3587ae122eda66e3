"""The demo's control room (指挥中心): the community's duty officer at the dashboard, over the hub's HTTP API.

Signed in as an operator linked to a person with a dispatch role (the demo's admin, linked to the community's
指挥中心值班员), it looks at the community's cases every ``interval`` seconds and does what the duty officer does:

- 结案 close: a case a verifier checked on the phone (核查: the grid leader for a grid worker's work, the community's
  supervisor for a grid leader's) is closed;
- 立案/派遣 file and dispatch: a case the hub flagged for a person (a report near a grid boundary) but placed in a grid
  is filed and dispatched to whichever of that grid's leader and worker has fewer cases in hand;
- 派遣 dispatch: a filed case nobody was dispatched to - a service request the routing leaves to the control room
  (其他便民服务, or a kind whose role nobody up the unit chain has; hub/services) - goes the same way, to whichever
  of its grid's worker and leader has fewer cases in hand;
- 改派 reassign: a case that has waited ``patience`` seconds for a grid leader who is busy with another case goes
  to the grid's worker, when the worker has less in hand.

Only the API the dashboard uses, so every rule holds as for a person: the role, the scope, the case's version
(a case that moved on in the meantime answers 409/422 and is looked at again on the next pass).
"""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

IN_HAND = ("dispatched", "accepted", "arrived")  # the assignee's part of the loop
BUSY = ("accepted", "arrived")  # taken up and not yet resolved
WATCHED = ("reported", "filed", "dispatched", "accepted", "arrived", "verified")
REASSIGN_REASON = "网格长正在处置其他案件，改派本网格网格员 / the grid leader is busy with another case"


class Refused(Exception):
    """The hub refused a step (409: the case moved on; 422: the rules); ``code`` is its reason."""

    def __init__(self, status: int, code: str):
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@dataclass(frozen=True)
class GridStaff:
    leader: str
    worker: str | None


@dataclass
class ControlRoom:
    base_url: str  # the hub, e.g. http://127.0.0.1:8080
    token: str  # a session of an operator linked to a person with a dispatch role
    staff: dict[str, GridStaff]  # grid code → its leader and worker (person ids)
    patience: float = 10.0  # seconds a case may wait for a busy grid leader before it is reassigned
    done: Counter[str] = field(default_factory=Counter)  # closed / filed / dispatched / reassigned / refused
    _waiting: dict[tuple[str, int], float] = field(default_factory=dict)  # (case, version) → first seen waiting

    # -- HTTP -------------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method,
                                     headers={"content-type": "application/json",
                                              "authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            if err.code not in (409, 422):
                raise
            detail = json.loads(err.read() or b"{}").get("detail")
            raise Refused(err.code, detail.get("code", "") if isinstance(detail, dict) else str(detail)) from None

    def cases(self, states: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every case in the operator's scope in one of ``states``, page by page."""
        found: list[dict[str, Any]] = []
        while True:
            query = urllib.parse.urlencode([("state", s) for s in states] + [("offset", len(found)), ("limit", 500)])
            page = self._call("GET", f"/api/cases?{query}")
            found += page["items"]
            if not page["items"] or len(found) >= page["total"]:
                return found

    def transition(self, case: dict[str, Any], transition: str, **fields: Any) -> dict[str, Any] | None:
        """One step as the signed-in person; the case as it is now, or None when the hub refused it."""
        try:
            after = self._call("POST", f"/api/cases/{case['id']}/transitions",
                               {"transition": transition, "expected_version": case["version"], **fields})
        except Refused as refused:
            log.info("control room: %s of case %s refused (%s)", transition, case["id"], refused)
            self.done["refused"] += 1
            return None
        self.done[{"close": "closed", "file": "filed", "dispatch": "dispatched",
                   "reassign": "reassigned"}.get(transition, transition)] += 1
        return after

    # -- the duty officer -----------------------------------------------------------------------------------
    def step(self, now: float | None = None) -> int:
        """One look at the cases; returns how many steps were taken."""
        now = time.monotonic() if now is None else now
        live = self.cases(WATCHED)
        load: Counter[str] = Counter()
        busy: set[str] = set()
        for case in live:
            assignee = (case.get("assignee") or {}).get("id")
            if assignee and case["state"] in IN_HAND:
                load[assignee] += 1
                if case["state"] in BUSY:
                    busy.add(assignee)
        before = self.done.total()
        for case in live:
            if case["state"] == "verified":
                self.transition(case, "close", note="核查合格，予以结案")
            elif case["state"] == "reported" and case["flagged_for_review"] and case["grid_code"] in self.staff:
                self._file_and_dispatch(case, load)
            elif case["state"] == "filed" and not case.get("assignee") and case["grid_code"] in self.staff:
                self._dispatch(case, self.staff[case["grid_code"]], load)
            elif case["state"] == "dispatched":
                self._balance(case, load, busy, now)
        seen = {(c["id"], c["version"]) for c in live}
        self._waiting = {k: v for k, v in self._waiting.items() if k in seen}
        return self.done.total() - before

    def _file_and_dispatch(self, case: dict[str, Any], load: Counter[str]) -> None:
        staff = self.staff[case["grid_code"]]
        filed = self.transition(case, "file", note="指挥中心确认属地，立案")
        if filed is not None:
            self._dispatch(filed, staff, load)

    def _dispatch(self, case: dict[str, Any], staff: GridStaff, load: Counter[str]) -> None:
        """A filed case to whichever of its grid's worker and leader has fewer cases in hand."""
        people = [p for p in (staff.worker, staff.leader) if p]
        assignee = min(people, key=lambda p: load[p])
        if self.transition(case, "dispatch", assignee=assignee) is not None:
            load[assignee] += 1

    def _balance(self, case: dict[str, Any], load: Counter[str], busy: set[str], now: float) -> None:
        staff = self.staff.get(case["grid_code"] or "")
        assignee = (case.get("assignee") or {}).get("id")
        if staff is None or staff.worker is None or assignee != staff.leader:
            return
        since = self._waiting.setdefault((case["id"], case["version"]), now)
        if now - since < self.patience or assignee not in busy or load[staff.worker] + 1 >= load[assignee]:
            return
        if self.transition(case, "reassign", assignee=staff.worker, reason=REASSIGN_REASON) is not None:
            load[assignee] -= 1
            load[staff.worker] += 1

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Look every ``interval`` seconds until ``stop`` is set."""
        while not stop.wait(interval):
            try:
                self.step()
            except Exception:  # the hub briefly away or slow: the duty officer looks again next pass
                log.exception("control room pass failed; trying again")
