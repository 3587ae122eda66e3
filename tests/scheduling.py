"""How ``./dev.sh test`` spreads the suite over pytest-xdist workers (``-n N --dist loadgroup``).

Each test is a unit of work of its own, except the groups below, which go to one worker as one unit. The groups
are decided here by test id, on the controller, rather than by ``xdist_group`` marks: with pytest 9.2, xdist 3.8's
loadgroup no longer sees marks (it renames test ids to carry the group, which pytest 9.2 ignores:
pytest-dev/pytest-xdist#1386). An ``xdist_group`` mark still works where xdist manages to rename the test.

Units start longest first (``START_FIRST``, from ``--durations``), so the long end-to-end tests overlap the many
short ones instead of running alone at the end.
"""
from __future__ import annotations

# test id, or a prefix ending at "::" or "[" boundaries: a file, or a test without its parameters -> group
XDIST_GROUPS = {
    # one module-scoped fixture runs every fault run side by side (then pg_restart alone): spread over workers it
    # would run the whole set once per worker
    "tests/e2e/test_fault_runs.py": "fault-runs",
    # these write the same files under test-artifacts/screens/ (kiosk_home.png ...) and read them back
    "tests/terminal/app/test_screens_render.py": "screens-artifacts",
}

# the longest units, longest first (seconds measured sequentially on 2 cores); the rest follow in collection order
START_FIRST = [
    "fault-runs",  # ~60-90 s: seven fault runs, four side by side, then pg_restart alone
    "tests/e2e/test_worker_pool.py::test_pool_serves_one_port_restarts_a_killed_worker_and_loses_nothing",  # ~90 s
    "tests/hub/api/test_schemathesis.py::test_no_operation_answers_5xx",  # ~20 s each
    "tests/e2e/test_faults.py",  # 5-14 s each
    "tests/e2e/test_dashboard.py::test_report_to_reassignment_with_roles_and_scope",  # ~13 s
    "tests/e2e/test_demo.py",  # ~11 s
    "screens-artifacts",  # ~12 s
]


def _match(nodeid: str, keys) -> str | None:
    """The longest of ``keys`` that is ``nodeid`` itself or a prefix of it ending before "::" or "["."""
    covering = [key for key in keys
                if nodeid == key or (nodeid.startswith(key) and nodeid[len(key):].startswith(("::", "[")))]
    return max(covering, key=len, default=None)


def group_of(nodeid: str) -> str | None:
    key = _match(nodeid.rsplit("@", 1)[0] if "@" in nodeid.rsplit("]", 1)[-1] else nodeid, XDIST_GROUPS)
    return XDIST_GROUPS[key] if key else None


def start_rank(scope: str) -> int:
    """Position of a unit (a group name or a test id) in ``START_FIRST``; len(START_FIRST) for the rest."""
    if scope in START_FIRST:
        return START_FIRST.index(scope)
    key = _match(scope, START_FIRST)
    return START_FIRST.index(key) if key else len(START_FIRST)


def make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling  # noqa: PLC0415 - only with xdist, only on the controller

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
            super()._assign_work_unit(node)

    return GridlineScheduling(config, log)
