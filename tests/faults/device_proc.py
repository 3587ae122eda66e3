"""A fleet of sample-community terminals as ONE OS process, so a fault run can kill -9 it mid-write.

    python -m tests.faults.device_proc --broker URL --data-dir DIR --ids kiosk-fs-01,kiosk-fs-02 --rate R --for S

Produces for S seconds (each device walking inside its own grid of 福石社区, so reports route and dispatch) or
until SIGUSR1, then stays connected, receiving (task downlinks for the kiosks), until SIGTERM; then drains and prints
``device_proc: created=C acknowledged=A pending=P``. Re-running on the same data dir resumes the outboxes.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from hub import sample
from terminal.simulate import run_simulation


def grid_rings(ids: list[str]) -> list[list] | None:
    """Each sample device walks its own grid; devices outside the sample (load fleets) walk around Xiangzhou."""
    grids = {g.code: g for g in sample.grids()}
    by_id = {d.id: d for d in sample.devices()}
    if not all(i in by_id for i in ids):
        return None
    return [list(grids[by_id[i].grid].ring) for i in ids]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--broker", required=True)
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--ids", required=True, help="comma-separated, or PREFIX*N for N devices PREFIX-000...")
    p.add_argument("--rate", type=float, default=5.0)
    p.add_argument("--for", dest="duration", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ack-timeout", type=float, default=5.0)
    args = p.parse_args(argv)
    if "*" in args.ids:
        prefix, n = args.ids.split("*")
        ids = [f"{prefix}-{i:03d}" for i in range(int(n))]
    else:
        ids = args.ids.split(",")
    stop, enough = threading.Event(), threading.Event()  # enough: stop producing, keep receiving
    signal.signal(signal.SIGTERM, lambda *_: (enough.set(), stop.set()))
    signal.signal(signal.SIGUSR1, lambda *_: enough.set())
    options = {"ack_timeout": args.ack_timeout, "heartbeat_interval": 5.0}
    areas = grid_rings(ids)
    if args.duration > 0:
        run_simulation(args.broker, args.data_dir, ids=ids, areas=areas, rate=args.rate, duration=args.duration,
                       seed=args.seed, drain_timeout=0, stop_event=enough, device_options=options)
        print("device_proc: production over", flush=True)
    # receive-only until told to stop: kiosks confirm the tasks the hub sends them; then drain
    totals = run_simulation(args.broker, args.data_dir, ids=ids, areas=areas, rate=0, duration=None,
                            stop_event=stop, drain_timeout=30, device_options=options)
    print(f"device_proc: created={totals.created} acknowledged={totals.acknowledged} pending={totals.pending}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
