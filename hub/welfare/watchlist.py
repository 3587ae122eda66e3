"""Today's residents to watch, on each helper's phone: a ``watchlist`` downlink (protocol/watch.py WatchList) per
phone of every primary helper, second helper and informed person of an enrolment due today; and the grid's list to
its patrol tablets (a patrol's visit at the door is evidence too).

Sent when a phone's list for the local day differs from the last one this watch queued for it (a new day, an
enrolment added, paused or changed); a hub restart sends each list once more, harmlessly (a later list replaces an
earlier one on the phone). Lists expire at local midnight."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from hub.org import repo as org_repo
from hub.store import DownlinkRow
from hub.store import downlinks as downlink_rows
from hub.welfare.enrolment import Enrolment
from hub.welfare.ports import Watch
from hub.welfare.schedule import local_day_end
from protocol import WatchItem, WatchList
from protocol.watch import MAX_WATCH_ITEMS


def _item(e: Enrolment, role: str) -> WatchItem:
    deadline = max(e.deadline or e.window_end, e.window_end)
    return WatchItem(enrolment_id=e.id, resident_key=e.resident_key, label=e.label, grid_code=e.grid_code,
                     window_start=f"{e.window_start:%H:%M}", deadline=f"{deadline:%H:%M}", role=role)


def lists_for_today(watch: Watch, now: datetime) -> tuple[dict[str, WatchList], dict[str, WatchList]]:
    """(person id → their list, grid → the list of its patrol tablets) for today; only non-empty lists."""
    day = now.astimezone(watch.tz).date()
    items: dict[str, list[WatchItem]] = defaultdict(list)
    grids: dict[str, list[WatchItem]] = defaultdict(list)
    for e in watch.enrolments.list():
        if not watch.is_due(e, day):
            continue
        roles = [(e.primary_helper, "primary"), (e.second_helper, "second"), *((p, "informed") for p in e.informed)]
        for person, role in roles:
            if person:
                items[person].append(_item(e, role))
        grids[e.grid_code].append(_item(e, "patrol"))
    # A list holds at most MAX_WATCH_ITEMS residents (a downlink stays small): the rest are left off, by label order.
    return ({person: WatchList(day=day, items=found[:MAX_WATCH_ITEMS]) for person, found in items.items()},
            {grid: WatchList(day=day, items=found[:MAX_WATCH_ITEMS]) for grid, found in grids.items()})


def queue_watchlists(watch: Watch, now: datetime, sent: dict[str, str]) -> list[DownlinkRow]:
    """Queue the lists that changed since ``sent`` (device id → body JSON, updated here); returns the rows."""
    lists, by_grid = lists_for_today(watch, now)
    if not lists and not by_grid:
        return []
    queued: list[DownlinkRow] = []
    fresh: dict[str, str] = {}
    expires = local_day_end(now.astimezone(watch.tz).date(), watch.tz)
    with watch.db.write() as conn:
        phones = org_repo.phones_of(conn, lists)
        targets = [(phone, body) for person, body in lists.items() for phone in phones.get(person, [])]
        targets += [(b.device_id, body) for grid, body in by_grid.items()
                    for b in org_repo.bindings_within(conn, grid) if b.kind == "tablet"]
        for device, body in targets:
            data = body.model_dump(mode="json")
            text = downlink_rows.body_json(data)
            if sent.get(device) == text or fresh.get(device) == text:
                continue
            queued.append(downlink_rows.queue(conn, device, "watchlist", data, now, expires_at=expires))
            fresh[device] = text
    sent.update(fresh)  # only once committed
    return queued
