"""The deliberation job: take stored ``vote`` and ``comment`` records into the deliberation tables and answer each
vote's kiosk (``hub/deliberation/votes.py``). Rung by the bridge after a commit that stored votes or comments
(``hub/app.py``), with a fallback poll.

"Taken" is a row in ``votes`` / ``topic_comments`` keyed by the record id, so the job keeps no state of its own and
any hub worker may run a pass. It normally runs under a cluster lock; without one (two workers at once) it is still
exact: a record is taken by whichever worker inserts its row, and the kept vote is one conditional upsert per card
(``repo.offer_kept``). A deadlock between two such workers rolls the pass back and it is run again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.deliberation import repo
from hub.deliberation.service import DeliberationService, Sender
from hub.deliberation.votes import VoteTaker
from hub.jobs.wakeup import Doorbell, serve_rung
from hub.store import HubStore
from hub.store.locks import ClusterLock

log = logging.getLogger(__name__)

BATCH = 500
RETRIES = 5
CATCH_UP_S = 30.0  # how soon a kiosk bound after a topic was published gets it


class DeliberationJob:
    def __init__(self, store: HubStore, bridge: Sender | None, clock: Callable[[], datetime], *, batch: int = BATCH):
        self.store, self.bridge, self.clock, self.batch = store, bridge, clock, batch
        self.votes_taken = 0
        self.comments_taken = 0
        self._next_catch_up = 0.0  # at the first pass

    def _one_batch(self) -> tuple[int, bool, list[Any]]:
        """(records taken, whether a full batch was read: more may wait, downlinks queued)."""
        for attempt in range(RETRIES):
            try:
                with self.store.write() as conn:
                    taker = VoteTaker(conn, self.clock())
                    vote_rows = repo.untaken_votes(conn, self.batch)
                    comment_rows = repo.untaken_comments(conn, self.batch)
                    votes = taker.take_votes(vote_rows)
                    comments = taker.take_comments(comment_rows)
                    self.votes_taken += votes
                    self.comments_taken += comments
                    full = len(vote_rows) == self.batch or len(comment_rows) == self.batch
                    return votes + comments, full, taker.queued
            except sa.exc.OperationalError as exc:  # a deadlock or serialisation failure between workers: again
                if attempt == RETRIES - 1:
                    raise
                log.info("deliberation pass rolled back (%s); again", type(exc.orig).__name__)
        return 0, False, []

    def run_once(self) -> int:
        """Take what is waiting (batch by batch); the number of records taken. Every ``CATCH_UP_S`` also hands open
        topics to kiosks bound since they were published."""
        if time.monotonic() >= self._next_catch_up:
            self._next_catch_up = time.monotonic() + CATCH_UP_S
            DeliberationService(self.store, self.clock, self.bridge).catch_up()
        total = 0
        while True:
            taken, full, queued = self._one_batch()
            if queued and self.bridge is not None:
                self.bridge.send_downlinks(queued)  # else the bridge's maintenance sends never-sent downlinks
            total += taken
            if not full or not taken:
                return total

    def run_forever(self, stop: threading.Event, *, interval_s: float, bell: Doorbell,
                    lock: ClusterLock | None = None) -> None:
        serve_rung(stop, bell, interval_s, self.run_once, lock=lock, name="deliberation votes")
