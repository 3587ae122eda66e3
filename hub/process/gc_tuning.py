"""The garbage collector in the long-running hub process (``gridline hub serve``); see docs/scaling.md, section 4.

Why: with a city's mix (benchmarks/city_mix.py, 20,000 devices × 1 message) about a third of the hub's CPU went
to CPython's full (generation 2) collections, 0.13-0.16 s each: every one walks every container object in the
process, and most of those (≈ 220,000) are made at start-up and live as long as it does: imported modules,
SQLAlchemy's tables and compiled statements, pydantic's and FastAPI's schemas, the routes. A backlog keeps
thousands of queued messages alive past the young generations, and that is what sets off full collections.

After start-up the hub moves everything alive into the permanent generation, which collections skip
(``gc.freeze``, https://docs.python.org/3/library/gc.html#gc.freeze). What the hub makes later is collected as
before. Cost: an object alive at start-up that later becomes part of an unreachable cycle is not reclaimed; a
collection just before the freeze leaves out the garbage start-up itself made.

Only ``gridline hub serve`` does this (``create_app(after_startup=...)``): a process that builds many apps, a test
worker, would freeze each one's garbage in turn.
"""
from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_heap() -> int:
    """Collect, then freeze what is alive; returns how many objects the collector now leaves alone."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("garbage collector: %d objects alive after start-up frozen (hub/process/gc_tuning.py)", frozen)
    return frozen
