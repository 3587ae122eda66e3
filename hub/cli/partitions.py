"""``gridline hub partitions list|maintain``: see and keep the position day partitions (PostgreSQL).

``maintain`` runs the hub's hourly job once now (create the days ahead, drop days past
``GRIDLINE_POSITION_RETENTION_DAYS``), under the same cluster lock as the running hub workers.
"""
from __future__ import annotations

import sys

from hub.cli.common import db_options, migrated_db, settings_from_args


def register(subparsers) -> None:
    parts = subparsers.add_parser("partitions", help="position track day partitions and retention (PostgreSQL)")
    sub = parts.add_subparsers(dest="partitions_command", required=True)
    ls = sub.add_parser("list", help="position partitions: day, id bounds, approximate rows, size")
    maintain = sub.add_parser("maintain", help="create the days ahead and drop expired days now")
    maintain.add_argument("--wait", type=float, default=30.0, metavar="S",
                          help="wait this long for a hub worker's pass holding the lock (default 30)")
    for p in (ls, maintain):
        db_options(p)
    ls.set_defaults(func=_list)
    maintain.set_defaults(func=_maintain)


def _keeper(args):
    from hub.store import utc_now
    from hub.store.partitions import PositionPartitions

    settings = settings_from_args(args)
    engine = migrated_db(args).engine
    return PositionPartitions(engine, retention_days=settings.position_retention_days,
                              days_ahead=settings.position_partitions_ahead_days, clock=utc_now)


def _list(args) -> int:
    keeper = _keeper(args)
    try:
        parts = keeper.partitions()
        if not parts:
            print("records is not partitioned here (SQLite, or PostgreSQL before migration 0009)")
            return 0
        for p in parts:
            print(f"{p.name}\t{p.day or 'default'}\t{p.approx_rows if p.approx_rows >= 0 else '?'} rows\t"
                  f"{p.total_bytes / 2**20:.1f} MiB\t{p.bounds}")
        return 0
    finally:
        keeper.engine.dispose()


def _maintain(args) -> int:
    from hub.store.locks import ClusterLock
    from hub.store.partitions import maintain_once

    keeper = _keeper(args)
    try:
        result = maintain_once(keeper, ClusterLock(keeper.engine, "position-partitions"), wait_s=args.wait)
        if result is None:
            print("partitions maintain: another hub worker held the lock throughout; try again", file=sys.stderr)
            return 1
        print(f"created {len(result.created)} {' '.join(result.created)}".rstrip())
        print(f"dropped {len(result.dropped)} {' '.join(result.dropped)}".rstrip())
        print(f"default partition: {result.adopted} moved into new days, {result.purged_default} expired deleted")
        return 0
    finally:
        keeper.engine.dispose()
