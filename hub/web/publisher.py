"""One shared publisher of live dashboard events, however many browsers are watching.

It polls the database with cursors (case events by id, positions by (received_at, id), presence by
``devices.status_at``) from the hub's event loop, running each poll in a worker thread, and fans the results
out to subscribers filtered by their operator's scope: the set of unit codes under the scope unit by the
hierarchy (worked out when a stream subscribes, refreshed with the device bindings). Polling, not hooks: the MQTT
bridge thread and the case jobs stay untouched and never wait on a browser.

Positions are coalesced: per device only the newest fix is kept and sent at most once per ``position_every_s``
(default: every poll), all devices in ONE message, so 2,000 devices reporting every second make four SSE messages
a second, not 2,000. Holding fixes for a whole second cost the map a second of lag; the page draws at its own
pace (mapview.js), so more, smaller messages cost it only their parsing.

On PostgreSQL an autoincrement id can commit after a higher one; ids skipped over are re-asked for a while
(``_gaps``) so a late commit still reaches the feed. The publisher starts with the first subscriber and stops
when none is left (no polling for an empty control room).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from hub.org.repo import device_units, subtree_codes
from hub.store import HubStore
from hub.store import devices as device_rows
from hub.store.positions import Cursor
from hub.web.feed import event_ids_after, feed_after, max_case_event_id, positions_after, positions_cursor

log = logging.getLogger(__name__)

GAP_TTL_S = 30.0
MAX_QUEUED = 200  # events a slow browser may fall behind by before it is told to reload (reset)


@dataclass(eq=False)  # identity: each open stream is its own subscriber
class Subscriber:
    """One open event stream: the operator's scope, queued events, and coalesced positions."""

    scope_code: str
    see_unbound: bool = False  # scoped to a root unit: sees everything, terminals not yet bound to a unit too
    units: frozenset[str] = frozenset()  # the scope unit and every unit under it, by the hierarchy
    items: deque = field(default_factory=deque)
    positions: dict[str, list] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def sees(self, unit: str | None) -> bool:
        if not unit:
            return self.see_unbound
        return unit in self.units or self.see_unbound

    def offer(self, kind: str, unit: str | None, data: dict[str, Any], event_id: int | None = None) -> None:
        if not self.sees(unit):
            return
        if len(self.items) >= MAX_QUEUED:
            self.items.clear()
            self.positions.clear()
            self.items.append(("reset", {}, None))
        else:
            self.items.append((kind, data, event_id))
        self.wake.set()

    def offer_positions(self, batch: dict[str, tuple[str | None, list]]) -> None:
        mine = {dev: fix for dev, (unit, fix) in batch.items() if self.sees(unit)}
        if mine:
            self.positions.update(mine)
            self.wake.set()

    def take(self) -> tuple[list, dict[str, list]]:
        items, positions = list(self.items), self.positions
        self.items.clear()
        self.positions = {}
        self.wake.clear()
        return items, positions


class LivePublisher:
    def __init__(self, store: HubStore, *, clock: Callable[[], datetime], poll_s: float = 0.25,
                 position_every_s: float = 0.25, idle_stop_s: float = 5.0):
        self.store, self.clock = store, clock
        self.poll_s, self.position_every_s, self.idle_stop_s = poll_s, position_every_s, idle_stop_s
        self.subscribers: set[Subscriber] = set()
        self._task: asyncio.Task | None = None
        self._event_cursor = 0
        self._gaps: dict[int, float] = {}  # event id skipped over → when first noticed (monotonic)
        self._pos_cursor: Cursor | None = None
        self._status_cursor: datetime | None = None
        self._pending_positions: dict[str, tuple[str | None, list]] = {}
        self._last_position_flush = 0.0
        self._units: dict[str, str] = {}
        self._units_loaded = 0.0
        self._subtrees: dict[str, frozenset[str]] = {}  # scope code → its subtree, shared by its subscribers
        self.polls = 0

    # -- subscribers -----------------------------------------------------------------------------
    def subscribe(self, scope_code: str, see_unbound: bool = False) -> Subscriber:
        units = self._subtrees.get(scope_code)
        if units is None:  # one small read for a scope nobody watches yet; later ones share it
            with self.store.read() as conn:
                units = self._subtrees[scope_code] = subtree_codes(conn, scope_code)
        sub = Subscriber(scope_code, see_unbound, units)
        self.subscribers.add(sub)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="live-publisher")
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        await run_in_threadpool(self._start_cursors)
        idle_since = None
        while True:
            if not self.subscribers:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > self.idle_stop_s:
                    return
            else:
                idle_since = None
            began = time.monotonic()
            try:
                found = await run_in_threadpool(self.poll_once)
                self._fan_out(*found)
            except Exception:
                log.exception("live publisher poll failed; retrying")
                await asyncio.sleep(1.0)
            # a poll every poll_s, not poll_s after each poll: a slow read (a busy hub) must not stretch the cadence
            await asyncio.sleep(max(0.02, self.poll_s - (time.monotonic() - began)))

    def _start_cursors(self) -> None:
        with self.store.read() as conn:
            self._event_cursor = max_case_event_id(conn)
            self._pos_cursor = positions_cursor(conn)
            self._status_cursor = device_rows.last_status_change(conn)

    def _device_units(self, conn, wanted: set[str]) -> dict[str, str]:
        # Bindings and units change rarely: reload every 30 s, or at once for a device not seen before.
        if time.monotonic() - self._units_loaded > 30 or not wanted <= self._units.keys():
            self._units = device_units(conn)
            watched = {sub.scope_code for sub in list(self.subscribers)}
            self._subtrees = {code: subtree_codes(conn, code) for code in watched}
            self._units_loaded = time.monotonic()
        return self._units

    def poll_once(self) -> tuple[list, list, dict]:
        """(feed items, presence changes, positions) since the last poll. Runs in a worker thread."""
        self.polls += 1
        now = time.monotonic()
        self._gaps = {i: t for i, t in self._gaps.items() if now - t < GAP_TTL_S}
        with self.store.read() as conn:
            ids = event_ids_after(conn, self._event_cursor, self._gaps)
            feed = []
            if ids:
                top = max(ids)
                fresh = set(ids)
                for missing in range(self._event_cursor + 1, top):
                    if missing not in fresh and missing not in self._gaps:
                        self._gaps[missing] = now
                for i in fresh:
                    self._gaps.pop(i, None)
                feed = feed_after(conn, self._event_cursor, extra_ids=[i for i in ids if i <= self._event_cursor])
                self._event_cursor = max(self._event_cursor, top)
                feed = [f for f in feed if f["event_id"] in fresh]
            presence = []
            for row in device_rows.status_changed_after(conn, self._status_cursor):
                presence.append(asdict(row))
                self._status_cursor = row.status_at
            fixes, self._pos_cursor = positions_after(conn, self._pos_cursor)
            units = self._device_units(conn, {d["id"] for d in presence} | {f[0] for f in fixes})
        for d in presence:
            d["unit"] = units.get(d["id"])
        positions: dict[str, tuple[str | None, list]] = {}
        for dev, lat, lon, acc, at in fixes:  # newest fix per device by its own clock (one batch: one receive time)
            ms = int(at.timestamp() * 1000)
            if dev not in positions or positions[dev][1][4] <= ms:
                positions[dev] = (units.get(dev), [dev, lat, lon, acc, ms])
        return feed, presence, positions

    def _fan_out(self, feed: list, presence: list, positions: dict) -> None:
        subs = list(self.subscribers)
        for sub in subs:  # the subtrees reloaded by the last poll (a unit added under a scope shows up)
            sub.units = self._subtrees.get(sub.scope_code, sub.units)
        for item in feed:
            for sub in subs:
                sub.offer("case", item["unit"], item, item["event_id"])
        for d in presence:
            data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}
            for sub in subs:
                sub.offer("device", d["unit"], data)
        self._pending_positions.update(positions)
        now = time.monotonic()
        # half a poll of slack: polls come every poll_s give or take a few ms, and a flush due "every poll" must
        # not slip to every other one for 249 ms against 250
        if self._pending_positions and now - self._last_position_flush >= self.position_every_s - self.poll_s / 2:
            batch, self._pending_positions = self._pending_positions, {}
            self._last_position_flush = now
            for sub in subs:
                sub.offer_positions(batch)


def publisher_for(app) -> LivePublisher:
    """The app's one publisher (made on first use)."""
    found = getattr(app.state, "live_publisher", None)
    if found is None:
        store = app.state.store
        found = app.state.live_publisher = LivePublisher(store, clock=store.clock)
    return found
