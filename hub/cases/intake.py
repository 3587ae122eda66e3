"""Case intake: every stored incident report becomes a case (or joins the open case it duplicates).

Runs beside ingest, not inside it: the ingest transaction stays small and fast, and a report whose
routing fails is retried on the next pass instead of holding up receipts. Exactly-once rests on
``CaseService.open_case_from_report`` being idempotent by record id, so a crash between opening a
case and moving the cursor only repeats a no-op.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from hub.cases import repo
from hub.cases.service import CaseService
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.org.routing import GridRouter, RouteResult
from hub.store import HubStore
from hub.store import records as record_rows
from hub.store.engine import is_transient
from hub.store.locks import ClusterLock
from hub.store.rows import RecordRow

log = logging.getLogger(__name__)

# Reports are looked for a little behind the cursor: batches from several hub workers may commit
# slightly out of receive-time order.
LOOKBEHIND = timedelta(seconds=60)
UNROUTED = RouteResult(grid_code=None, community_code=None, confidence=0.0, flagged_for_review=True,
                       reason="unassigned")


class CaseIntake:
    def __init__(self, store: HubStore, service: CaseService, *, router_ttl_s: float = 30.0, batch: int = 200):
        self.store = store
        self.service = service
        self.router_ttl_s = router_ttl_s
        self.batch = batch
        self.cursor: datetime | None = None  # None: scan every report once (start-up catch-up)
        self.opened = 0
        self.failed = 0
        self._router: GridRouter | None = None
        self._router_built = 0.0

    def router(self) -> GridRouter | None:
        # Grids change rarely (an import); rebuilding the STRtree now and then is cheaper than tracking edits.
        if time.monotonic() - self._router_built > self.router_ttl_s:
            try:
                self._router = GridRouter.from_store(self.store)
            except ValueError:  # "needs at least one grid": cases open unassigned, flagged for an operator
                self._router = None
            self._router_built = time.monotonic()
        return self._router

    def forget_router(self) -> None:
        """An outline changed (the units API, or its ring relayed from another worker): rebuild on the next route."""
        self._router_built = -float("inf")

    def unprocessed_reports(self) -> list[RecordRow]:
        since = self.cursor - LOOKBEHIND if self.cursor is not None else None
        with self.store.read() as conn:
            return record_rows.untaken(conn, "report", repo.report_taken, since=since, limit=self.batch)

    def route(self, report: RecordRow) -> RouteResult:
        body = report.payload_dict()
        pos = body.get("position") or {}
        router = self.router()
        if router is None or pos.get("lat") is None:
            return UNROUTED
        return router.route(pos["lat"], pos["lon"], pos.get("accuracy_m", 0.0), category=body.get("category"))

    def run_once(self) -> int:
        """Open cases for the reports not yet taken in; returns how many were taken in."""
        reports = self.unprocessed_reports()
        for report in reports:
            try:
                result = self.service.open_case_from_report(report, self.route(report))
            except Exception as exc:
                if is_transient(exc):
                    raise  # the database is away: keep the cursor, the pass runs again later
                log.exception("could not open a case for report %s; it stays in the records table", report.id)
                self.failed += 1
                continue
            self.opened += int(result.created)
        if reports:
            self.cursor = max(self.cursor or reports[-1].received_at, reports[-1].received_at)
        elif self.cursor is None:
            self.cursor = self.service.clock()
        return len(reports)

    def run_forever(self, stop: threading.Event, interval_s: float = 0.5, *, bell: Doorbell | None = None,
                    lock: ClusterLock | None = None, on_work: Callable[[], None] | None = None) -> None:
        """Take reports in when ``bell`` rings (the bridge stored reports) or every ``interval_s`` (other
        workers' reports); ``on_work`` rings the dispatcher after every pass that made case events."""
        def one_pass() -> None:
            while not stop.is_set():
                taken = self.run_once()
                if taken and on_work is not None:
                    on_work()
                if taken < self.batch:
                    return  # else a backlog: keep going without waiting

        serve_rung(stop, bell or Doorbell("intake"), interval_s, one_pass, lock=lock, name="case intake")
