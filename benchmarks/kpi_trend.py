"""KPIs over time (``GET /api/kpis/trend``: compute_kpis once per bucket) and the map's report density
(``GET /api/map/density``) on ``--rows`` cases over two years, on SQLite and PostgreSQL, through the real routes.
The world and its cases are benchmarks/case_search.py's (a city of 2,400 grids; each case with its report event,
not its whole trail, so the per-case event subquery is lighter than a real deployment's ~7 events per case).

    .venv/bin/python -m benchmarks.kpi_trend [--rows 100000] [--only pg|sqlite] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.case_search import NOW, build, drop_pg, make_client, make_rows, make_world, sign_in

END = (NOW + timedelta(hours=8)).date()  # the last local (Beijing) day of the data
SPANS = {"90 days": ("day", 89), "52 weeks": ("week", 7 * 52 - 1), "24 months": ("month", 730 - 31)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", choices=("pg", "sqlite"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    world = make_world()
    rows = make_rows(world, args.rows)
    kinds = [k for k in ("sqlite", "postgresql") if args.only in (None, {"sqlite": "sqlite", "postgresql": "pg"}[k])]
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            url, store = build(kind, world, rows, Path(tmp))
            try:
                client = make_client(store, Path(tmp))
                busiest = world.communities[max(range(len(world.weights)), key=world.weights.__getitem__)]
                for scope in ("440400", busiest):
                    headers = sign_in(client, store, scope)
                    for name, (bucket, days) in SPANS.items():
                        params = {"from": str(END - timedelta(days=days)), "to": str(END), "bucket": bucket}
                        took, points, reported = [], 0, 0
                        for _ in range(args.repeat):
                            t0 = time.perf_counter()
                            body = client.get("/api/kpis/trend", params=params, headers=headers).json()
                            took.append(time.perf_counter() - t0)
                            points, reported = len(body["points"]), sum(p["reported"] for p in body["points"])
                        median = statistics.median(took)
                        print(f"{kind} scope {scope} trend {name}: {points} points, {reported:,} reported, "
                              f"median {median * 1000:.0f} ms ({median / points * 1000:.1f} ms/bucket)", flush=True)
                    params = {"from": str(END - timedelta(days=89)), "to": str(END)}
                    took = []
                    for _ in range(args.repeat):
                        t0 = time.perf_counter()
                        body = client.get("/api/map/density", params=params, headers=headers).json()
                        took.append(time.perf_counter() - t0)
                    print(f"{kind} scope {scope} density 90 days: {body['total']:,} reports in {len(body['cells']):,} "
                          f"cells, median {statistics.median(took) * 1000:.0f} ms", flush=True)
            finally:
                store.close()
                if kind == "postgresql":
                    drop_pg(url)


if __name__ == "__main__":
    main()
