"""The live views' position queries (hub/web/feed.py) prune day partitions on PostgreSQL: they bound the record id
by ``LIVE_MAX_AGE`` and then return the same rows as SQLite for the same data, while planning only the last few
days (+ the default partition) out of 40. ``list_records`` keeps no such bound (late backlog must stay listed)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.mqtt.ingest import ingest_batch
from hub.store import HubStore
from hub.store.partitions import (
    POSITION_DEFAULT,
    PositionPartitions,
    create_day_partition,
    partition_name,
    position_days,
    position_id_floor,
)
from hub.store.tables import records
from hub.web.feed import LIVE_MAX_AGE, positions_after, positions_cursor, recent_tails
from protocol import Position as LatLon
from protocol import PositionFix, uuid7

from ..conftest import T0, raw
from ..store.pg_plans import planned_relations

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
PAST_DAYS = 36  # + T0 and 3 days ahead: 40 day partitions
CURSOR = (T0 - timedelta(hours=1), "")  # the publisher's cursor: everything below was sent before
LEGACY_ID = "legacy-position-0001"  # imported, not a v7 id: only SQL puts it there


def v7(device_id: str, created_at: datetime) -> str:
    """The same id in every store."""
    return uuid7(int(created_at.timestamp() * 1000), hashlib.sha256(device_id.encode()).digest()[:10])


def fix(device_id: str, created_at: datetime, lat: float, seq: int) -> PositionFix:
    return PositionFix(id=v7(device_id, created_at), device_id=device_id, seq=seq, created_at=created_at,
                       position=LatLon(lat=lat, lon=113.53, accuracy_m=5))


# (device, minted at, received at); lat = 22 + index / 1000 names each row in the assertions
HISTORY = [("walker", T0 - n * DAY, T0 - n * DAY + timedelta(seconds=2)) for n in range(PAST_DAYS, 0, -1)]
AFTER_CURSOR = [
    ("walker", T0, T0),  # fresh, today's partition
    ("basement", T0 - 10 * DAY, T0 + 1 * MINUTE),  # ten-day-old backlog: not live
    ("ancient", datetime(1999, 12, 31, tzinfo=UTC), T0 + 2 * MINUTE),  # clock reset: default, not live
    ("basement", T0 - timedelta(days=1, hours=20), T0 + 3 * MINUTE),  # a day's backlog: live, late
    ("ahead", T0 + 700 * DAY, T0 + 4 * MINUTE),  # clock far ahead: default partition, live
    # LEGACY_ID at T0 + 5 min: default partition, live (letters sort after every v7 id)
    ("walker", T0 + 6 * MINUTE, T0 + 6 * MINUTE),  # the newest receipt is a live one
]
ROWS = HISTORY + AFTER_CURSOR
ROW_IDS = [v7(dev, made) for dev, made, _ in ROWS]
FIRST = len(HISTORY)  # ROWS[FIRST:] came after the cursor
NOT_LIVE = [ROW_IDS[FIRST + 1], ROW_IDS[FIRST + 2]]


def load(store: HubStore) -> None:
    """The same rows into any store."""
    fixes = [fix(dev, made, 22 + i / 1000, seq=i + 1) for i, (dev, made, _) in enumerate(ROWS)]
    result = ingest_batch([raw(f, got) for f, (_, _, got) in zip(fixes, ROWS, strict=False)], store)
    assert result.stored_records == len(ROWS)
    got = T0 + 5 * MINUTE
    payload = {"id": LEGACY_ID, "kind": "position", "device_id": "importer", "position": {"lat": 21.0, "lon": 113.5}}
    with store.engine.begin() as conn:
        conn.execute(sa.insert(records).values(id=LEGACY_ID, device_id="importer", seq=1, kind="position",
                                               payload=json.dumps(payload), content_sha256="0" * 64,
                                               device_time=got, received_at=got))


@pytest.fixture
def partitioned(pg_store) -> HubStore:
    """40 day partitions around T0 (PAST_DAYS back, 3 ahead), as the job keeps them, with ROWS in them."""
    PositionPartitions(pg_store.engine, retention_days=0, days_ahead=3, clock=pg_store.clock).maintain()
    with pg_store.engine.begin() as conn:
        for day in position_days(conn):
            if day > (T0 + 3 * DAY).date():  # the migration's, for the real today: empty
                conn.execute(sa.text(f"DROP TABLE {partition_name(day)}"))
        for n in range(1, PAST_DAYS + 1):
            create_day_partition(conn, (T0 - n * DAY).date())
    load(pg_store)
    return pg_store


@pytest.fixture
def sqlite(tmp_path, clock) -> Iterator[HubStore]:
    store = HubStore(f"sqlite:///{tmp_path / 'lite.db'}", tmp_path / "lite", clock=clock)
    store.migrate()
    load(store)
    yield store
    store.close()


def on(store: HubStore, read):
    with store.engine.connect() as conn:
        return read(conn)


@contextmanager
def statements_on_records(store: HubStore) -> Iterator[list[tuple[str, dict]]]:
    """Every query on ``records`` run inside the block, as sent to the driver (SQL text and parameters)."""
    seen: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM records" in statement:
            seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", grab)


def planned_tables(store: HubStore, statement: str, parameters: dict) -> set[str]:
    with store.engine.connect() as conn:
        return planned_relations(conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar())


def tables_read_by(store: HubStore, read) -> list[set[str]]:
    """The tables PostgreSQL plans for each query ``read(conn)`` makes on records."""
    with statements_on_records(store) as seen:
        on(store, read)
    assert seen
    return [planned_tables(store, sql, params) for sql, params in seen]


def lats(fixes) -> list:
    """Each fix as its index in ROWS (lat = 22 + index / 1000), or "legacy" for the imported one."""
    return [round((lat - 22) * 1000) if lat >= 22 else "legacy" for _dev, lat, *_ in fixes]


def test_live_queries_return_what_sqlite_returns(partitioned, sqlite):
    after = [on(s, lambda c: positions_after(c, CURSOR)) for s in (partitioned, sqlite)]
    assert after[0] == after[1]
    fixes, cursor = after[0]
    # The day-old backlog received late, the clock far ahead and the imported id (both in the default partition)
    # are in; the ten-day-old backlog and the reset clock are not live.
    assert lats(fixes) == [FIRST, FIRST + 3, FIRST + 4, "legacy", FIRST + 5]
    assert cursor == (T0 + 6 * MINUTE, ROW_IDS[-1])
    everything, _ = on(partitioned, lambda c: positions_after(c, CURSOR, max_age=None))
    assert lats(everything) == [FIRST, FIRST + 1, FIRST + 2, FIRST + 3, FIRST + 4, "legacy", FIRST + 5]

    assert on(partitioned, positions_cursor) == on(sqlite, positions_cursor) == cursor  # a publisher starting now

    tails = [on(s, lambda c: recent_tails(c, T0 + 10 * MINUTE)) for s in (partitioned, sqlite)]
    assert tails[0] == tails[1]
    assert {dev: lats([(dev, *p) for p in tail]) for dev, tail in tails[0].items()} == {
        "walker": [FIRST, FIRST + 5], "basement": [FIRST + 3], "ahead": [FIRST + 4], "importer": ["legacy"]}


def test_list_records_still_lists_late_backlog(partitioned, sqlite):
    """/api/records promises every record received in the window: no id bound there (repository.list_records)."""
    listed = [[r.id for r in s.list_records(kind="position", since=T0, limit=50)[0]] for s in (partitioned, sqlite)]
    assert listed[0] == listed[1]
    assert listed[0] == [*ROW_IDS[FIRST:FIRST + 5], LEGACY_ID, ROW_IDS[-1]]
    assert set(NOT_LIVE) <= set(listed[0])


def test_live_queries_plan_only_the_last_days(partitioned):
    live_days = {partition_name((T0 + n * DAY).date()) for n in range(-2, 4)}  # LIVE_MAX_AGE back, 3 ahead
    assert LIVE_MAX_AGE == 2 * DAY and position_id_floor(CURSOR[0] - LIVE_MAX_AGE) == "018fc6cb-dc00"  # 2024-05-30 UTC

    in_default = on(partitioned, lambda c: set(c.execute(sa.text(f"SELECT id FROM {POSITION_DEFAULT}")).scalars()))
    assert in_default == {ROW_IDS[FIRST + 2], ROW_IDS[FIRST + 4], LEGACY_ID}  # reset clock, clock ahead, imported

    [feed] = tables_read_by(partitioned, lambda c: positions_after(c, CURSOR))
    assert feed == live_days | {POSITION_DEFAULT}  # the default stays in: odd ids are still found
    [tails] = tables_read_by(partitioned, lambda c: recent_tails(c, T0 + 10 * MINUTE))
    assert tails == live_days | {POSITION_DEFAULT}
    # A fresh publisher: one tiny query per day partition tried, newest first, then the bounded search.
    *probes, start = tables_read_by(partitioned, positions_cursor)
    assert probes == [{partition_name((T0 + n * DAY).date())} for n in (3, 2, 1, 0)]
    assert start == live_days | {POSITION_DEFAULT}

    # What the bound saves: without it every day is planned.
    [unbounded] = tables_read_by(partitioned, lambda c: positions_after(c, CURSOR, max_age=None))
    assert len(unbounded) == PAST_DAYS + 4 + 1


def test_a_fresh_publisher_skips_a_newest_backlog_row_as_the_feed_would(partitioned, sqlite):
    late = fix("basement", T0 - 9 * DAY, 23.0, seq=900)  # received last, minted nine days ago: not live
    fresh = fix("walker", T0 + 8 * MINUTE, 23.001, seq=901)
    for store in (partitioned, sqlite):
        ingest_batch([raw(late, T0 + 7 * MINUTE)], store)
    pg_start, lite_start = on(partitioned, positions_cursor), on(sqlite, positions_cursor)
    assert lite_start == (T0 + 7 * MINUTE, late.id)  # nothing to find a recent day by: the newest of all
    assert pg_start == (T0 + 6 * MINUTE, ROW_IDS[-1])  # the newest live one
    for store in (partitioned, sqlite):
        ingest_batch([raw(fresh, T0 + 8 * MINUTE)], store)
    # From either start the feed goes on with the same rows: from the earlier one the backlog row is skipped.
    pg_next = on(partitioned, lambda c: positions_after(c, pg_start))
    lite_next = on(sqlite, lambda c: positions_after(c, lite_start))
    assert pg_next == lite_next and [lat for _dev, lat, *_ in pg_next[0]] == [23.001]
