"""Position tracks in daily partitions on PostgreSQL, and the job that keeps them: create ahead, drop expired.

Layout (migration 0009; SQLite keeps one plain ``records`` table)::

    records                    PARTITION BY LIST (kind), primary key (id, kind)
      records_position         FOR VALUES IN ('position'), PARTITION BY RANGE (id)
        records_position_pYYYYMMDD   one UTC day of record ids
        records_position_default     ids outside the prepared days: bad device clocks, non-v7 ids
      records_other            DEFAULT: reports, check-ins, actions, ... kept forever, never touched here

Record ids are device-made UUIDv7 strings, whose first 12 hex digits are the creation time in ms, so a day of
positions is one id range and its bounds are plain strings (``day_bound``). The order of such same-shaped
lowercase hex strings is the same in every collation that sorts digits before letters (C, ICU, glibc).

Retention (personal data: volunteers' tracks) is a DROP of whole day partitions, not a DELETE: instant, no
dead tuples, no vacuum debt. Only ``records_position_*`` tables are ever created, emptied or dropped.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from hub.store.locks import ClusterLock

log = logging.getLogger(__name__)

POSITION_KIND = "position"
POSITIONS = "records_position"
POSITION_DEFAULT = "records_position_default"
OTHER_KINDS = "records_other"
DAY_PREFIX = "records_position_p"
DAY_NAME = re.compile(r"^records_position_p(\d{8})$")
EPOCH = date(1970, 1, 1)
MS_PER_DAY = 86_400_000
# Days outside this span never get a partition (their ids go to the default): a year-10889 clock is not a day.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9999, 12, 30)
# DDL here needs a short exclusive lock on records_position: never queue behind a long query for longer,
# since every insert would queue behind us. Timed out = retried next period.
LOCK_TIMEOUT = "5s"


def day_bound(day: date) -> str:
    """The smallest UUIDv7 string prefix minted on ``day`` (UTC): '0190a1b2-c3d4'."""
    digits = f"{(day - EPOCH).days * MS_PER_DAY:012x}"
    return f"{digits[:8]}-{digits[8:]}"


def partition_name(day: date) -> str:
    return f"{DAY_PREFIX}{day:%Y%m%d}"


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def position_id_floor(at: datetime) -> str:
    """The smallest id of a position minted on ``at``'s UTC day or later. ``id >= position_id_floor(t)`` lets
    PostgreSQL plan only the day partitions from that day on (+ the default, which it always keeps for a lower
    bound); on SQLite and the plain table it is the same string comparison, so results are the same."""
    return day_bound(max(utc_day(at), EPOCH))  # before 1970 is no v7 id: everything from the epoch on


def position_days(conn: sa.Connection) -> list[date]:
    """The days that have a position partition, oldest first ([] on SQLite and an unpartitioned PostgreSQL).
    Names only, from the catalog: cheap enough to ask per query, unlike ``list_position_partitions``."""
    if conn.dialect.name != "postgresql":
        return []
    names = conn.execute(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:parent)"), {"parent": POSITIONS}).scalars()
    return sorted(datetime.strptime(m.group(1), "%Y%m%d").date() for m in map(DAY_NAME.match, names) if m)


def is_partitioned(conn: sa.Connection) -> bool:
    """True on PostgreSQL after migration 0009; SQLite (and PostgreSQL before it) have one plain table."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass('records')")).scalar() == "p"


@dataclass(frozen=True)
class PositionPartition:
    name: str
    day: date | None  # None for the default partition
    bounds: str  # as PostgreSQL prints it
    approx_rows: int  # planner estimate (-1: never analysed)
    total_bytes: int


def list_position_partitions(conn: sa.Connection) -> list[PositionPartition]:
    rows = conn.execute(sa.text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint, pg_total_relation_size(c.oid) "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:parent) ORDER BY c.relname"), {"parent": POSITIONS}).all()
    out = []
    for name, bounds, approx, size in rows:
        match = DAY_NAME.match(name)
        day = datetime.strptime(match.group(1), "%Y%m%d").date() if match else None
        out.append(PositionPartition(name, day, bounds, approx, size))
    return out


def create_day_partition(conn: sa.Connection, day: date) -> int:
    """Add ``day``'s partition; positions of that day already in the default partition (a device whose clock ran
    ahead of the prepared days) move into it, else the attach would fail. Returns how many moved."""
    name, lo, hi = partition_name(day), day_bound(day), day_bound(day + timedelta(days=1))
    # CREATE + ATTACH rather than CREATE ... PARTITION OF: attaching needs only SHARE UPDATE EXCLUSIVE on
    # records_position, so ingest keeps inserting meanwhile.
    conn.execute(sa.text(f"CREATE TABLE {name} (LIKE {POSITIONS} INCLUDING DEFAULTS)"))
    moved = conn.execute(sa.text(
        f"WITH moved AS (DELETE FROM {POSITION_DEFAULT} WHERE id >= :lo AND id < :hi RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved"), {"lo": lo, "hi": hi}).rowcount
    conn.execute(sa.text(f"ALTER TABLE {POSITIONS} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')"))
    return moved or 0


@dataclass
class MaintenanceResult:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    adopted: int = 0  # positions moved from the default partition into a newly created day
    purged_default: int = 0  # expired positions deleted from the default partition


class PositionPartitions:
    """Keeps ``days_ahead`` days of partitions ready and drops days older than ``retention_days`` (0 = keep all).

    Run it under a ``ClusterLock`` (``run_forever(lock=...)``, ``maintain_once``): the DDL must not race
    another hub worker's. A no-op on SQLite and on an unpartitioned PostgreSQL."""

    def __init__(self, engine: sa.Engine, *, retention_days: int, days_ahead: int,
                 clock: Callable[[], datetime]):
        self.engine = engine
        self.retention_days = retention_days
        self.days_ahead = days_ahead
        self.clock = clock
        self.passes = 0
        self.last: MaintenanceResult | None = None

    def partitions(self) -> list[PositionPartition]:
        with self.engine.connect() as conn:
            return list_position_partitions(conn) if is_partitioned(conn) else []

    def maintain(self) -> MaintenanceResult:
        result = MaintenanceResult()
        with self.engine.connect() as conn:
            if not is_partitioned(conn):
                return result
            have = {p.day for p in list_position_partitions(conn) if p.day}
        today = utc_day(self.clock())
        for day in (today + timedelta(days=n) for n in range(self.days_ahead + 1)):
            if day not in have and FIRST_DAY <= day <= LAST_DAY:
                with self._ddl() as conn:
                    result.adopted += create_day_partition(conn, day)
                result.created.append(partition_name(day))
        if self.retention_days > 0:
            cutoff = today - timedelta(days=self.retention_days)
            for day in sorted(d for d in have if d < cutoff):
                with self._ddl() as conn:
                    conn.execute(sa.text(f"DROP TABLE {partition_name(day)}"))
                result.dropped.append(partition_name(day))
            with self._ddl() as conn:
                result.purged_default = conn.execute(
                    sa.text(f"DELETE FROM {POSITION_DEFAULT} WHERE received_at < :cutoff"),
                    {"cutoff": datetime.combine(cutoff, datetime.min.time(), UTC)}).rowcount or 0
        self.passes += 1
        self.last = result
        if result.created or result.dropped or result.purged_default:
            log.info("position partitions: created %s, dropped %s, %d moved from / %d purged in the default",
                     result.created, result.dropped, result.adopted, result.purged_default)
        return result

    @contextmanager
    def _ddl(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            yield conn



def maintain_once(partitions: PositionPartitions, lock: ClusterLock, wait_s: float = 0.0) -> MaintenanceResult | None:
    """One pass if this worker gets the lock (None: another worker holds it and is doing this now)."""
    with lock.held(wait_s=wait_s) as got:
        return partitions.maintain() if got else None
