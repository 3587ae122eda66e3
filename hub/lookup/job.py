"""The lookup job: answer every ``LookupRequest`` stored in the last ``window`` that has no answer yet.

Rung by the bridge after a commit that stored lookups (``hub/app.py``), with a fallback poll. "Answered" is read
from the downlinks themselves (an answer names its ``request_id``), so the job keeps no state of its own and any
hub worker may run a pass (one at a time, under a cluster lock). A request older than ``window`` (a kiosk that was
offline for long) is still answered if it arrives late: the window is on the hub's receive time.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from hub.jobs.wakeup import Doorbell, serve_rung
from hub.lookup.answer import answer_lookup
from hub.store import DownlinkRow, HubStore, RecordRow
from hub.store.locks import ClusterLock
from protocol import LookupRequest, ProtocolError

log = logging.getLogger(__name__)

ANSWER_TTL = timedelta(days=1)  # an answer nobody picked up within a day is stale: the resident asks again
LOOKUP_WINDOW = timedelta(minutes=30)
SCAN_LIMIT = 500


class Sender(Protocol):
    def send_downlinks(self, rows: Any) -> list[str]: ...


class LookupResponder:
    def __init__(self, store: HubStore, bridge: Sender | None, clock: Callable[[], datetime], *,
                 window: timedelta = LOOKUP_WINDOW):
        self.store, self.bridge, self.clock, self.window = store, bridge, clock, window
        self.answered = 0

    def _answered_ids(self, device_id: str) -> set[str]:
        found = set()
        for row in self.store.list_downlinks(device_id, limit=200):
            if row.kind == "lookup":
                try:
                    found.add(json.loads(row.body).get("request_id"))
                except ValueError:
                    continue
        return found

    def _recent(self, now: datetime) -> list[RecordRow]:
        found: list[RecordRow] = []
        cursor = None
        while True:
            rows, cursor = self.store.list_records(kind="lookup", since=now - self.window, limit=SCAN_LIMIT,
                                                   cursor=cursor)
            found += rows
            if cursor is None:
                return found

    def run_once(self) -> int:
        """Answer what is waiting; the number answered."""
        now = self.clock()
        answered: dict[str, set[str]] = {}
        queued: list[DownlinkRow] = []
        for row in self._recent(now):
            done = answered.setdefault(row.device_id, self._answered_ids(row.device_id))
            if row.id in done:
                continue
            try:
                request = LookupRequest.model_validate_json(row.payload)
            except ValueError as exc:  # stored by an older hub, or a schema change: never loop on it
                log.warning("lookup %s unreadable: %s", row.id, ProtocolError("invalid", str(exc)))
                continue
            answer = answer_lookup(request, self.store, now)
            queued.append(self.store.queue_downlink(row.device_id, "lookup", answer.model_dump(mode="json"),
                                                    expires_at=now + ANSWER_TTL))
            done.add(row.id)
        if queued and self.bridge is not None:
            self.bridge.send_downlinks(queued)  # else the bridge's maintenance sends never-sent downlinks
        self.answered += len(queued)
        return len(queued)

    def run_forever(self, stop: threading.Event, *, interval_s: float, bell: Doorbell,
                    lock: ClusterLock | None = None) -> None:
        serve_rung(stop, bell, interval_s, self.run_once, lock=lock, name="lookup answers")
