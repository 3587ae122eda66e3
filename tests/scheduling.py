"""How ``./dev.sh test`` spreads the suite over pytest-xdist workers (``-n N``, with ``--dist load``, the default, or
``--dist loadgroup``: tests/conftest.py puts this scheduler in place of xdist's for both).

Each test is a unit of work of its own, except the groups below, which go to one worker as one unit. The groups
are decided here by test id, on the controller, rather than by ``xdist_group`` marks: with pytest 9.2, xdist 3.8's
loadgroup no longer sees marks (it renames test ids to carry the group, which pytest 9.2 ignores:
pytest-dev/pytest-xdist#1386). An ``xdist_group`` mark still works where xdist manages to rename the test.

Units start longest first (``START_FIRST``, from ``--durations``), so the long end-to-end tests overlap the many
short ones instead of running alone at the end.

``ALONE``: tests whose assertions count what happens in some seconds of wall time; on two cores shared with three
busy workers they measure the machine, not the code. They are one group, scheduled last, and each runs with the
run's lock held alone (tests/isolation.py ``run_lock``, taken in tests/conftest.py): the other workers finish the
test in hand and wait.
"""
from __future__ import annotations

# test id, or a prefix ending at "::" or "[" boundaries: a file, or a test without its parameters -> group
XDIST_GROUPS = {
    # one module-scoped fixture runs every fault run side by side (then pg_restart alone): spread over workers it
    # would run the whole set once per worker
    "tests/e2e/test_fault_runs.py": "fault-runs",
    # these write the same files under test-artifacts/screens/ (kiosk_home.png ...) and read them back
    "tests/terminal/app/test_screens_render.py": "screens-artifacts",
    # several hub worker processes on one PostgreSQL: up to 27 connections per test (most tests hold at most 14);
    # two or three of these at once beside other workers' tests came close to max_connections = 100
    "tests/e2e/test_workers.py": "pg-many-connections",
    "tests/e2e/test_worker_pool.py": "pg-many-connections",
}

ALONE = [
    # counts the records one device captures every 20 ms through a broker restart and a crash (> 150 in ~6 s); with
    # four workers on two cores it made 129 and 150
    "tests/terminal/test_broker_restart.py::test_capture_through_broker_restart_and_crash_loses_nothing",
    # a neighbour's receipt latency p99 < 2 s while another device floods the hub: a latency bound under load
    "tests/e2e/test_rate_limit.py::test_a_flooding_device_is_deferred_not_rejected_and_its_neighbour_is_not_slowed",
]
ALONE_GROUP = "alone"

# the longest units (sequential seconds on 2 cores; CPU-bound ones stretch 3-5x beside three other workers), started
# first in this order; the rest follow in collection order
START_FIRST = [
    "pg-many-connections",  # ~80 s: test_workers.py and test_worker_pool.py (hub worker processes on PostgreSQL)
    "fault-runs",  # 25-60 s: seven fault runs, four side by side, then pg_restart alone
    "tests/e2e/test_demo_join.py",  # ~47 s (CI run of 2026-12-06, --durations)
    "tests/e2e/test_casework_pages.py",  # 25-42 s each
    "tests/e2e/test_demo.py",  # ~34 s
    "tests/e2e/test_notice_pages.py",  # ~30 s with its teardown
    "tests/hub/deliberation/test_vote_property.py",  # ~28 s, all CPU
    "tests/deploy/test_kit_for_real.py",  # ~27 s
    "tests/hub/api/test_schemathesis.py::test_no_operation_answers_5xx",  # 4 shards, each call to both databases
    "tests/e2e/test_faults.py",  # 4-17 s each
    "tests/hub/services/test_services_schemathesis.py",  # ~15 s, all CPU
    "tests/e2e/test_dashboard.py::test_report_to_reassignment_with_roles_and_scope",  # ~17 s
    "tests/e2e/test_admin_pages.py",  # ~16 s
    "screens-artifacts",  # ~15 s
]


def _match(nodeid: str, keys) -> str | None:
    """The longest of ``keys`` that is ``nodeid`` itself or a prefix of it ending before "::" or "["."""
    covering = [key for key in keys
                if nodeid == key or (nodeid.startswith(key) and nodeid[len(key):].startswith(("::", "[")))]
    return max(covering, key=len, default=None)


def _plain(nodeid: str) -> str:
    """Without the "@group" suffix xdist's loadgroup adds where it can."""
    return nodeid.rsplit("@", 1)[0] if "@" in nodeid.rsplit("]", 1)[-1] else nodeid


def needs_alone(nodeid: str) -> bool:
    return _match(_plain(nodeid), ALONE) is not None


def group_of(nodeid: str) -> str | None:
    if needs_alone(nodeid):
        return ALONE_GROUP
    key = _match(_plain(nodeid), XDIST_GROUPS)
    return XDIST_GROUPS[key] if key else None


def start_rank(scope: str) -> int:
    """Position of a unit (a group name or a test id) in ``START_FIRST``; len(START_FIRST) for the rest."""
    if scope in START_FIRST:
        return START_FIRST.index(scope)
    key = _match(scope, START_FIRST)
    return START_FIRST.index(key) if key else len(START_FIRST)


def make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    class GridlineScheduling(LoadGroupScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self._ordered:  # the first assignment: the queue is complete, put the long units first
                self._ordered = True
                for scope in sorted(self.workqueue, key=start_rank, reverse=True):
                    if start_rank(scope) < len(START_FIRST):
                        self.workqueue.move_to_end(scope, last=False)
                if ALONE_GROUP in self.workqueue:  # and the tests that stop everyone else last
                    self.workqueue.move_to_end(ALONE_GROUP)
            super()._assign_work_unit(node)

    return GridlineScheduling(config, log)
