"""Hundreds of randomised fault runs; prints per-scenario and total figures and the seeds of failed runs.

    python -m tests.faults.run_many --runs 500 [--seed S] [--db sqlite|postgresql://postgres@127.0.0.1/postgres]
                                    [--jobs N] [--only hub_kill,disk_full] [--keep-failed]

(from the repo root).

Each run (tests/faults/rig.py): a fresh hub child process on a fresh Mosquitto with the sample community, three
producing kiosks/tablets (one child process) and two grid leaders' phones taking their tasks, ONE fault at a
random moment, then the checks: every record created on a device stored exactly once, no acknowledged record
missing, every task message the hub dispatched confirmed by its device. Replay one run with
``--replay SCENARIO:SEED`` (its directory is kept). pg_restart restarts the machine's PostgreSQL: it is only
chosen with --db postgresql://..., and such a batch runs one job at a time.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults.rig import SCENARIOS, FaultRun, RunResult, Template, can_mount_tmpfs, is_postgres

FIGURES = ("created", "stored", "lost", "duplicated", "acked_but_missing", "tasks_dispatched", "tasks_confirmed",
           "dead_letters")


def scenarios_for(db: str, only: str | None) -> list[str]:
    chosen = [s for s in SCENARIOS if s != "pg_restart" or is_postgres(db)]
    if not can_mount_tmpfs():
        chosen.remove("disk_full")
        print("note: not root, so no tmpfs for the hub's data dir: disk_full is left out", flush=True)
    if only:
        wanted = only.split(",")
        unknown = set(wanted) - set(chosen)
        if unknown:
            raise SystemExit(f"scenarios not available here: {sorted(unknown)} (have {chosen})")
        chosen = wanted
    return chosen


def table(results: list[RunResult]) -> str:
    by: dict[str, list[RunResult]] = defaultdict(list)
    for r in results:
        by[r.scenario].append(r)
    head = f"{'scenario':<15}{'runs':>6}{'ok':>6}" + "".join(f"{f:>18}" for f in FIGURES) + f"{'mean s':>8}"
    lines = [head, "-" * len(head)]
    for name, rows in sorted(by.items()) + [("TOTAL", results)]:
        sums = [sum(getattr(r, f) for r in rows) for f in FIGURES]
        mean = sum(r.seconds for r in rows) / max(1, len(rows))
        lines.append(f"{name:<15}{len(rows):>6}{sum(r.ok for r in rows):>6}" + "".join(f"{v:>18}" for v in sums)
                     + f"{mean:>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--seed", type=int, default=None, help="seed of the whole batch (default: from the clock)")
    p.add_argument("--db", default="sqlite", help="sqlite (default) or a PostgreSQL server URL")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time (each run is mostly waiting)")
    p.add_argument("--only", help="comma-separated scenarios")
    p.add_argument("--produce", type=float, default=3.0, help="seconds of production per run")
    p.add_argument("--work", type=Path, default=None, help="where run directories go (default: a temp dir)")
    p.add_argument("--keep-failed", action="store_true", help="keep failed runs' directories (logs, databases)")
    p.add_argument("--replay", help="SCENARIO:SEED - run exactly that one run again")
    args = p.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="gridline-faults-"))
    batch_seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(batch_seed)
    if args.replay:
        name, seed = args.replay.split(":")
        plan = [(name, int(seed))]
    else:
        names = scenarios_for(args.db, args.only)
        plan = [(rng.choice(names), rng.randrange(1 << 31)) for _ in range(args.runs)]
    jobs = 1 if is_postgres(args.db) and any(n == "pg_restart" for n, _ in plan) else max(1, args.jobs)
    print(f"fault runs: {len(plan)}  batch seed {batch_seed}  db {args.db.split('@')[-1]}  jobs {jobs}  "
          f"work {work}", flush=True)
    template = Template(work / "template", args.db)
    results: list[RunResult] = []
    started = time.monotonic()

    def one(item: tuple[str, int]) -> RunResult:
        name, seed = item
        return FaultRun(name, seed, work, template, produce_s=args.produce,
                        keep=args.keep_failed or bool(args.replay)).run()

    try:
        with ThreadPoolExecutor(jobs) as pool:
            for r in pool.map(one, plan):
                results.append(r)
                mark = "ok  " if r.ok else "FAIL"
                print(f"[{len(results):>4}/{len(plan)}] {mark} {r.scenario:<15} seed {r.seed:<11} {r.seconds:5.1f}s "
                      f"created {r.created:>3} stored {r.stored:>3} lost {r.lost} dup {r.duplicated} "
                      f"tasks {r.tasks_confirmed}/{r.tasks_dispatched}  {r.fault}"
                      + (f"  -- {r.error}" if r.error else ""), flush=True)
    finally:
        template.close()
    print(f"\n{len(results)} runs in {time.monotonic() - started:.0f}s (batch seed {batch_seed})")
    print(table(results))
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} failed; replay with: python -m tests.faults.run_many --db {args.db} --replay "
              "SCENARIO:SEED")
        for r in failed:
            print(f"  {r.scenario}:{r.seed}  {r.error}  [{r.fault}]  {'; '.join(r.notes)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
