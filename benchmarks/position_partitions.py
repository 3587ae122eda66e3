"""Position tracks on PostgreSQL: partitioned ``records`` (migration 0009) vs the plain table (0008), side by side.

Two fresh databases on one server, same rows in both:

1. ingest: ``--ingest`` PositionFix records (200 devices) decoded once and stored through the real
   ``HubStore.store_batch`` in batches of ``--batch``, alternating batch by batch between the two databases so
   machine noise hits both; the partitioned one has 180 days of day partitions, as with the default retention.
2. fill: ``--rows`` older positions (``--devices`` devices over ``--days`` days) generated server-side by one
   INSERT ... SELECT into each (same ids, payload-sized rows), then ANALYZE.
3. queries through ``HubStore.list_records`` (the /api/records path): one device's one-day track, and a
   five-minute slice of all positions by kind and received_at; median of ``--repeat`` runs after a warm-up.
   The live views (hub/web/feed.py) with their id bound (``LIVE_MAX_AGE``) and without it (``max_age=None``):
   a feed poll at the head (0 rows: what the dashboard pays every 0.25 s) and one returning 1,000 rows, a fresh
   publisher's cursor, the map's tails; timed through the functions (psycopg as the hub uses it, so statements
   run often get prepared), and EXPLAIN ANALYZE (unprepared) of the head poll and of the slice with and without
   an id bound (the slice cannot have one: ``list_records`` must list late backlog).
4. retention of one day of positions: DROP of its partition vs DELETE of the same rows (+ the VACUUM that the
   DELETE leaves to do).

    .venv/bin/python -m benchmarks.position_partitions [--rows 2000000] [--ingest 100000] [--keep]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

import protocol
from hub.mqtt.ingest import RawMessage, decode_batch
from hub.store import HubStore, upgrade
from hub.store.partitions import (
    create_day_partition,
    day_bound,
    partition_name,
    position_id_floor,
    utc_day,
)
from hub.store.tables import records
from hub.web.feed import LIVE_MAX_AGE, positions_after, positions_cursor, recent_tails

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RETENTION_DAYS = 180

# Deterministic rows from (device, k, day): v7 ids whose time prefix is the row's device time.
FILL_SQL = """
INSERT INTO records (id, device_id, seq, kind, payload, content_sha256, device_time, received_at)
SELECT substr(hx, 1, 8) || '-' || substr(hx, 9, 4) || '-7' || substr(h, 1, 3) || '-8' || substr(h, 4, 3) || '-'
         || substr(h, 7, 12),
       dev_id, d * :per + k + 1, 'position',
       json_build_object('created_at', to_timestamp(ms / 1000.0), 'device_id', dev_id, 'heading_deg', 90.0,
                         'id', h, 'kind', 'position', 'position',
                         json_build_object('accuracy_m', 5.0, 'lat', 22.25 + k * 1e-6, 'lon', 113.53),
                         'seq', d * :per + k + 1, 'speed_mps', 1.2)::text,
       h || h, to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0 + 2)
FROM (SELECT d, k, 'bench-' || lpad(dev::text, 5, '0') AS dev_id,
             md5(dev || ':' || k || ':' || d) AS h,
             :first_ms + d * 86400000::bigint + k * (86400000 / :per) + dev AS ms,
             lpad(to_hex(:first_ms + d * 86400000::bigint + k * (86400000 / :per) + dev), 12, '0') AS hx
      FROM generate_series(0, :days - 1) d, generate_series(0, :per - 1) k, generate_series(0, :devices - 1) dev) g
"""


def fresh_db(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop_db(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def position_items(n: int, now: datetime) -> list:
    raws = []
    for i in range(n):
        dev = f"ingest-{i % 200:03d}"
        fix = protocol.PositionFix(id=protocol.uuid7(), device_id=dev, seq=i // 200 + 1, created_at=now,
                                   speed_mps=1.2, heading_deg=90.0,
                                   position=protocol.Position(lat=22.25 + i * 1e-7, lon=113.53, accuracy_m=5))
        raws.append(RawMessage(protocol.topics.uplink(dev, protocol.UplinkKind.POSITION), protocol.encode(fix), now))
    return decode_batch(raws)


def timed(fn, repeat: int) -> float:
    fn()  # warm-up: plans cached, pages in shared buffers
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


@contextmanager
def captured(engine: sa.Engine):
    """The statements run on ``records`` inside the block, as sent to the driver (SQL, parameters)."""
    seen: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM records" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)


def explained_ms(conn: sa.Connection, sql: str, params: dict, repeat: int) -> tuple[float, float]:
    """Median (planning, execution) ms of EXPLAIN ANALYZE, never prepared: every run is planned afresh."""
    cur = conn.connection.driver_connection.cursor()
    plans = []
    for _ in range(repeat + 1):
        cur.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params, prepare=False)
        plans.append(cur.fetchone()[0][0])
    plans = plans[1:]  # the first warms the caches
    return (statistics.median(p["Planning Time"] for p in plans), statistics.median(p["Execution Time"] for p in plans))


def live_views(store: HubStore, slice_from: datetime, repeat: int) -> dict[str, tuple[float, float]]:
    """metric -> (ms without the id bound, ms with it) for the dashboard's position queries and the slice."""
    out: dict[str, tuple[float, float]] = {}
    ages = (None, LIVE_MAX_AGE)
    with store.engine.connect() as conn:
        head = positions_cursor(conn)
        assert head == positions_cursor(conn, max_age=None), "the bounded search missed the newest position"
        back = conn.execute(sa.select(records.c.received_at, records.c.id).where(records.c.kind == "position")
                            .order_by(records.c.received_at.desc(), records.c.id.desc()).offset(1000).limit(1)).first()
        assert len(positions_after(conn, tuple(back))[0]) == 1000
        now = head[0] + timedelta(seconds=1)
        out["feed poll at the head"] = tuple(
            1000 * timed(lambda a=a: positions_after(conn, head, max_age=a), repeat) for a in ages)
        out["feed poll, 1,000 rows"] = tuple(
            1000 * timed(lambda a=a: positions_after(conn, tuple(back), max_age=a), repeat) for a in ages)
        out["fresh publisher cursor"] = tuple(
            1000 * timed(lambda a=a: positions_cursor(conn, max_age=a), repeat) for a in ages)
        out["map tails (20,000 rows)"] = tuple(
            1000 * timed(lambda a=a: recent_tails(conn, now, max_age=a), repeat) for a in ages)
        polls = []
        for a in ages:
            with captured(store.engine) as seen:
                positions_after(conn, head, max_age=a)
            polls.append(explained_ms(conn, *seen[-1], repeat))
        out["head poll: planning"] = (polls[0][0], polls[1][0])
        out["head poll: execution"] = (polls[0][1], polls[1][1])
        until = slice_from + timedelta(minutes=5)
        slices = []
        for bound in ((), (records.c.id >= position_id_floor(slice_from - LIVE_MAX_AGE),)):
            stmt = (sa.select(records).where(records.c.kind == "position", records.c.received_at >= slice_from,
                                             records.c.received_at < until, *bound)
                    .order_by(records.c.received_at, records.c.id).limit(5001))
            compiled = stmt.compile(dialect=conn.dialect)
            slices.append(explained_ms(conn, str(compiled), compiled.params, repeat))
        out["5-min slice: planning"] = (slices[0][0], slices[1][0])
        out["5-min slice: execution"] = (slices[0][1], slices[1][1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000, help="positions generated server-side (fill)")
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--ingest", type=int, default=100_000, help="positions stored through HubStore.store_batch")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--keep", action="store_true", help="keep the two databases")
    args = ap.parse_args()
    per = args.rows // (args.devices * args.days)
    now = datetime.now(UTC)
    today = utc_day(now)
    first_day = today - timedelta(days=args.days)
    urls = {"partitioned": fresh_db("gl_bench_part"), "plain": fresh_db("gl_bench_plain")}
    upgrade(urls["partitioned"])
    upgrade(urls["plain"], "0008")
    stores = {k: HubStore(u, Path(tempfile.mkdtemp(prefix=f"gl-bench-{k}-"))) for k, u in urls.items()}
    figures: dict[str, dict[str, float]] = {k: {} for k in stores}
    try:
        with stores["partitioned"].engine.begin() as conn:  # 180 days back, as retention keeps them
            have = {r[0] for r in conn.execute(sa.text("SELECT relname FROM pg_class WHERE relname LIKE "
                                                       "'records_position_p%'"))}
            for n in range(1, RETENTION_DAYS + 1):
                if partition_name(today - timedelta(days=n)) not in have:
                    create_day_partition(conn, today - timedelta(days=n))

        items = position_items(args.ingest, now)
        spent = dict.fromkeys(stores, 0.0)
        for i in range(0, len(items), args.batch):
            for k in (("partitioned", "plain") if (i // args.batch) % 2 else ("plain", "partitioned")):
                t0 = time.perf_counter()
                stores[k].store_batch(items[i:i + args.batch])
                spent[k] += time.perf_counter() - t0
        for k in stores:
            figures[k]["ingest records/s"] = len(items) / spent[k]

        first_ms = int(datetime.combine(first_day, datetime.min.time(), UTC).timestamp() * 1000)
        params = {"per": per, "days": args.days, "devices": args.devices, "first_ms": first_ms}
        for k, store in stores.items():
            t0 = time.perf_counter()
            with store.engine.begin() as conn:
                conn.execute(sa.text(FILL_SQL), params)
            figures[k]["fill s (server-side)"] = time.perf_counter() - t0
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE records"))
            figures[k]["rows"] = store.count_records(kind="position")

        day = first_day + timedelta(days=args.days // 2)
        start = datetime.combine(day, datetime.min.time(), UTC)
        for k, store in stores.items():
            track = [timed(lambda d=d, store=store: store.list_records(
                kind="position", device_id=f"bench-{d:05d}", since=start, until=start + timedelta(days=1),
                limit=100_000), args.repeat)
                     for d in (0, args.devices // 2, args.devices - 1)]
            figures[k]["device-day track ms"] = 1000 * statistics.median(track)
            figures[k]["track rows"] = len(store.list_records(kind="position", device_id="bench-00000", since=start,
                                                              until=start + timedelta(days=1), limit=100_000)[0])
            figures[k]["5-min slice by kind ms"] = 1000 * timed(lambda s=store: s.list_records(
                kind="position", since=start + timedelta(hours=12), until=start + timedelta(hours=12, minutes=5),
                limit=5000), args.repeat)

        live = {k: live_views(store, start + timedelta(hours=12), args.repeat) for k, store in stores.items()}

        lo, hi = day_bound(day), day_bound(day + timedelta(days=1))
        with stores["partitioned"].engine.connect() as conn:
            figures["partitioned"]["day rows removed"] = conn.execute(
                sa.text(f"SELECT count(*) FROM {partition_name(day)}")).scalar()
        t0 = time.perf_counter()
        with stores["partitioned"].engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {partition_name(day)}"))
        figures["partitioned"]["remove a day s"] = time.perf_counter() - t0
        figures["partitioned"]["+ vacuum s"] = 0.0
        t0 = time.perf_counter()
        with stores["plain"].engine.begin() as conn:
            figures["plain"]["day rows removed"] = conn.execute(sa.text(
                "DELETE FROM records WHERE kind = 'position' AND id >= :lo AND id < :hi"),
                {"lo": lo, "hi": hi}).rowcount
        figures["plain"]["remove a day s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with stores["plain"].engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM records"))
        figures["plain"]["+ vacuum s"] = time.perf_counter() - t0
    finally:
        for store in stores.values():
            store.close()
        if not args.keep:
            for url in urls.values():
                drop_db(url)

    print(f"\nposition partitions vs plain records: {args.ingest} ingested (batches of {args.batch}), "
          f"{args.rows} filled ({args.devices} devices x {args.days} days x {per}/day), median of {args.repeat}")
    print(f"{'':26}{'partitioned':>14}{'plain':>14}{'partitioned/plain':>20}")
    for metric in figures["plain"]:
        p, q = figures["partitioned"][metric], figures["plain"][metric]
        ratio = f"{p / q:.2f}" if q else "-"
        print(f"{metric:26}{p:14.2f}{q:14.2f}{ratio:>20}")
    print(f"\nlive views, ms (median of {args.repeat}): no id bound vs the {LIVE_MAX_AGE.days}-day live bound "
          f"(the slice's bound is for comparison only, not applied)")
    print(f"{'':26}{'part. no bound':>16}{'part. bound':>14}{'plain no bound':>16}{'plain bound':>14}")
    for metric in live["plain"]:
        (pn, pb), (qn, qb) = live["partitioned"][metric], live["plain"][metric]
        print(f"{metric:26}{pn:16.2f}{pb:14.2f}{qn:16.2f}{qb:14.2f}")


if __name__ == "__main__":
    main()
