"""The query planner's statistics on SQLite: ``ANALYZE`` with a bounded sample, at start and every few hours.

Without statistics SQLite guesses every index equally selective, and one guess is costly: the case list's "reporter
device" filter looked up the device's reports through ``ix_records_kind_received`` (every report of every device)
instead of ``ix_records_device_seq`` - 1.2 s a page over 1,000,000 cases, against 67 ms on PostgreSQL, whose
autovacuum keeps its statistics (benchmarks/case_search.py; docs/scaling.md). ``analysis_limit`` bounds the work to
about a thousand rows per index (SQLite's own advice for long-lived connections), so a pass takes a fraction of a
second at any size; it goes through the write gate as bulk work, after any case work waiting.
"""
from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from hub.store.db import Database

log = logging.getLogger(__name__)
ANALYSIS_LIMIT = 1000  # rows sampled per index: approximate statistics, bounded time
# Below this many records the planner's defaults do fine, and statistics of near-empty tables (a new deployment,
# a demo) would mislead it for hours as they grow: no ANALYZE until the hub holds some history.
MIN_RECORDS = 10_000


def refresh_planner_statistics(db: Database, *, min_records: int = MIN_RECORDS) -> float | None:
    """Re-gather SQLite's planner statistics; the seconds it took (None on PostgreSQL, autovacuum's work, and
    while the records table holds fewer than ``min_records`` rows)."""
    if db.dialect != "sqlite":
        return None
    with db.read() as conn:
        held = conn.execute(sa.text("SELECT count(*) FROM (SELECT 1 FROM records LIMIT :n)"),
                            {"n": min_records}).scalar_one()
    if held < min_records:
        return None
    began = time.monotonic()
    with db.write(bulk=True) as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
    took = time.monotonic() - began
    log.info("SQLite planner statistics refreshed in %.2f s", took)
    return took


def stat_rows(db: Database) -> int:
    """How many index statistics SQLite holds (0 before the first ANALYZE of a non-empty table)."""
    with db.read() as conn:
        if not conn.execute(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar():
            return 0
        return int(conn.execute(sa.text("SELECT count(*) FROM sqlite_stat1")).scalar_one())
