"""The randomised fault runs of tests/faults/run_many.py, one short run of most scenarios (the CI-size set, ``CASES``).

Each run: a fresh hub child process on a fresh Mosquitto with the sample community 福石社区, producing kiosks and a
tablet in a child process, two grid leaders' phones taking their dispatched tasks, and ONE fault while records
flow. Then: every record created on a device stored exactly once, no acknowledged record missing, every task
message dispatched confirmed by its device (tests/faults/rig.py). The runs go side by side (each mostly waits),
the PostgreSQL restart alone at the end. Mosquitto-specific (own broker per run), so marked slow: they are not
run again on the embedded broker (tests/e2e/conftest.py).
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.faults.rig import FaultRun, Template, can_mount_tmpfs, disk_refused

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("mosquitto") is None, reason="fault runs start their own Mosquitto")]

# (scenario, database, seed): fixed seeds, so each run's fault timing and record mix repeat. Four side by side, then
# pg_restart alone. Not in this CI-size set (CI time, issue 13: a second round of runs took ~60-100 s of one worker and
# loaded the others): device_kill (kills a producing kiosk, not a phone: tests/e2e/test_faults.py kills a device
# mid-write) and hub_kill on PostgreSQL (test_faults.py kills a hub on PostgreSQL; pg_restart here runs the phones'
# tasks on PostgreSQL). Both stay in `python -m tests.faults.run_many`.
CASES = [
    ("hub_kill", "sqlite", 11),
    ("broker_restart", "sqlite", 12),
    ("link_cut", "sqlite", 13),
    ("disk_full", "sqlite", 15),
    ("pg_restart", "postgresql", 17),
]
IDS = [f"{s}-{b}" for s, b, _ in CASES]
# Restarting PostgreSQL cuts off everyone using it: on a shared developer machine only when asked.
PG_RESTART = bool(os.environ.get("CI") or os.environ.get("GRIDLINE_FAULTS_PG_RESTART"))


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory):
    """{case id: (RunResult, hub log)} for every case; side by side, pg_restart last and alone."""
    work = tmp_path_factory.mktemp("fault-runs")
    templates = {"sqlite": Template(work / "tpl-sqlite", "sqlite"),
                 "postgresql": Template(work / "tpl-pg", PG_ADMIN_URL)}
    runnable = [c for c in CASES if (c[0] != "disk_full" or can_mount_tmpfs()) and (c[0] != "pg_restart" or PG_RESTART)]

    def one(case):
        scenario, backend, seed = case
        result = FaultRun(scenario, seed, work, templates[backend], produce_s=2.5, keep=True).run()
        log = work / f"{scenario}-{seed}" / "hub.log"
        return f"{scenario}-{backend}", (result, log.read_text(errors="replace") if log.exists() else "")

    try:
        with ThreadPoolExecutor(4) as pool:
            done = dict(pool.map(one, [c for c in runnable if c[0] != "pg_restart"]))
        done.update(one(c) for c in runnable if c[0] == "pg_restart")
    finally:
        for template in templates.values():
            template.close()
    return done


@pytest.mark.parametrize("case", IDS)
def test_fault_run_loses_nothing_and_every_task_is_confirmed(case, fault_runs):
    if case not in fault_runs:
        pytest.skip("pg_restart: only in CI or with GRIDLINE_FAULTS_PG_RESTART=1" if case.startswith("pg_restart")
                    else "a tmpfs for the hub's data dir needs root")
    result, hub_log = fault_runs[case]
    assert result.ok, (result, hub_log[-3000:])
    assert result.created > 0 and result.stored == result.created and result.lost == result.duplicated == 0
    assert result.acked_but_missing == 0
    assert result.tasks_confirmed == result.tasks_dispatched
    if case.startswith("disk_full"):
        assert disk_refused(hub_log), "the disk never filled up"


def test_the_fault_runs_dispatched_tasks_to_confirm(fault_runs):
    """The task invariant means something only if the runs' reports were dispatched as tasks."""
    assert sum(result.tasks_dispatched for result, _ in fault_runs.values()) > 0
