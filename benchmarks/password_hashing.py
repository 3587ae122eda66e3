"""Sign-in time for the password-hashing candidates (issue 14): Argon2id at OWASP's settings against scrypt at OWASP's
floor (N=2^17), with the hub's old scrypt N=2^14 for reference.

    .venv/bin/python -m benchmarks.password_hashing [--n 30] [--db sqlite|postgresql] [--parallel 2]

Each candidate: a fresh migrated store (SQLite file, or a fresh PostgreSQL database on 127.0.0.1), one operator
whose hash is made with the candidate (which is also made the current cost, so nothing is rehashed), then ``--n``
real ``OperatorDirectory.sign_in`` calls one after another (verify + session row), timed one by one: median and
p95 in ms. ``--parallel K`` then runs K sign-ins at a time for as many again (what K control-room users signing in
together cost on this machine's cores). Memory per hash is the candidate's own figure (m for Argon2id, 128*N*r
for scrypt): a hub worker's thread pool can run up to 40 sign-ins at once.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from hub import sample
from hub.auth import passwords
from hub.auth.operators import OperatorDirectory
from hub.org.geojson_io import load_community
from hub.store import HubStore

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Grid-line-2026!"
CANDIDATES: dict[str, passwords.Argon2idCost | passwords.ScryptCost] = {
    "scrypt N=2^14 r=8 p=1 (old)": passwords.ScryptCost(n=2**14),
    "scrypt N=2^17 r=8 p=1": passwords.ScryptCost(n=2**17),
    "argon2id m=19MiB t=2 p=1": passwords.Argon2idCost(memory_kib=19 * 1024, time_cost=2),
    "argon2id m=46MiB t=1 p=1": passwords.Argon2idCost(memory_kib=46 * 1024, time_cost=1),
}


def memory_mib(cost: passwords.Argon2idCost | passwords.ScryptCost) -> float:
    if isinstance(cost, passwords.ScryptCost):
        return 128 * cost.n * cost.r / 2**20
    return cost.memory_kib / 1024


@contextmanager
def fresh_store(db: str) -> Iterator[HubStore]:
    with tempfile.TemporaryDirectory() as tmp:
        if db == "sqlite":
            store = HubStore(f"sqlite:///{tmp}/hub.db", Path(tmp) / "data")
            store.migrate()
            yield store
            store.close()
            return
        name = f"gridline_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            store = HubStore(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", Path(tmp) / "data")
            store.migrate()
            yield store
            store.close()
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(cost: passwords.Argon2idCost | passwords.ScryptCost, n: int, db: str, parallel: int) -> dict[str, float]:
    passwords.HASHING = cost  # new hashes and needs_rehash follow it: no upgrade in the timed sign-ins
    with fresh_store(db) as store:
        load_community(store, sample.load_raw())
        directory = OperatorDirectory(store, clock=store.clock, max_failures=10**6)
        directory.create("bench", PASSWORD, role="viewer", scope_code="440402004005")
        directory.sign_in("bench", PASSWORD, client="bench")  # warm-up (connections, caches)

        def one(_: int = 0) -> float:
            started = time.perf_counter()
            directory.sign_in("bench", PASSWORD, client="bench")
            return (time.perf_counter() - started) * 1000

        serial = [one() for _ in range(n)]
        with ThreadPoolExecutor(parallel) as pool:
            started = time.perf_counter()
            together = list(pool.map(one, range(n)))
            wall = time.perf_counter() - started
    return {"median": statistics.median(serial), "p95": percentile(serial, 0.95),
            "par_median": statistics.median(together), "par_p95": percentile(together, 0.95),
            "per_s": n / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30, help="sign-ins per candidate (and as many again in parallel)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--parallel", type=int, default=2, help="sign-ins at a time in the second run")
    args = parser.parse_args()
    print(f"{args.n} sign-ins per candidate on {args.db}; then {args.parallel} at a time")
    print(f"{'candidate':32} {'MiB':>5} {'median ms':>10} {'p95 ms':>8} | "
          f"{'par median':>10} {'par p95':>8} {'sign-ins/s':>10}")
    for label, cost in CANDIDATES.items():
        r = measure(cost, args.n, args.db, args.parallel)
        print(f"{label:32} {memory_mib(cost):5.0f} {r['median']:10.1f} {r['p95']:8.1f} | "
              f"{r['par_median']:10.1f} {r['par_p95']:8.1f} {r['per_s']:10.1f}", flush=True)


if __name__ == "__main__":
    main()
