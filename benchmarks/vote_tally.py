"""议事: 10,000 votes from 200 kiosks arriving as offline backlogs at once, through the hub's real ingest path.

    python -m benchmarks.vote_tally [--votes 10000] [--kiosks 200] [--cards 6000] [--db sqlite|postgresql://...]

200 kiosks (bound to the sample community's grids) each come back online with a backlog of votes made offline;
many cards vote at several kiosks (a card's votes are spread over kiosks and hours), so thousands of votes lose to
an earlier vote of the same card, some of them arriving first (displaced). The backlogs reach the hub as the bridge
would hand them over: ``ingest_batch`` of 500 messages, one writer thread, while the deliberation job
(``DeliberationJob.run_once``, rung after each batch like the bridge's on-commit hook) takes them on another.

Prints: the exact tally against the expected one (first vote by device time per card), the time from the first
batch to the final tally, and the hub's CPU per vote (``time.process_time`` of this process: ingest + job, every
thread; on PostgreSQL the database server's own CPU is not in it: another process).
"""
from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from hub import sample
from hub.deliberation import repo
from hub.deliberation.job import DeliberationJob
from hub.deliberation.service import DeliberationService
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, save_device_bindings
from hub.store import HubStore
from protocol import DeliberationVote, VoteOption, VoteSpec, encode, uplink_topic_for, uuid7

COMMUNITY = "440402004005"
OPTIONS = ("agree", "disagree", "abstain")
BATCH = 500


def fresh_pg_database(url: str) -> tuple[str, str]:
    """A new empty database on the server ``url`` names: (its url, its name)."""
    name = f"gl_vote_bench_{int(time.time())}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(url: str, name: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    engine.dispose()


def make_votes(topic_id: str, kiosks: list[str], total: int, cards: int, start: datetime,
               rng: random.Random) -> list[DeliberationVote]:
    """``total`` votes of ``cards`` cards at random kiosks and device times (several hours offline)."""
    seqs = Counter[str]()
    made = []
    for i in range(total):
        card = i if i < cards else rng.randrange(cards)  # every card votes once, the rest vote again elsewhere
        kiosk = rng.choice(kiosks)
        seqs[kiosk] += 1
        at = start + timedelta(seconds=rng.randrange(6 * 3600))
        made.append(DeliberationVote(id=uuid7(int(at.timestamp() * 1000)), device_id=kiosk, seq=seqs[kiosk],
                                     created_at=at, topic_id=topic_id, resident_key=f"{card:064x}",
                                     option=rng.choice(OPTIONS)))
    return made


def run(db: str, total: int, kiosk_count: int, cards: int) -> dict[str, float | int | bool]:
    rng = random.Random(20261205)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'hub.db'}" if db == "sqlite" else db
        store = HubStore(db_url, Path(tmp) / "data")
        store.migrate()
        load_community(store, sample.load_raw())
        grids = [g.code for g in sample.grids()]
        kiosks = [f"kiosk-bench-{i:03d}" for i in range(kiosk_count)]
        with store.write() as conn:
            save_device_bindings(conn, [DeviceBinding(k, "kiosk", grids[i % len(grids)]) for i, k in enumerate(kiosks)])
        now = datetime.now(UTC)
        spec = VoteSpec(options=[VoteOption(key=k, label=k) for k in OPTIONS], closes_at=now + timedelta(days=1))
        topic_id = DeliberationService(store, lambda: datetime.now(UTC)).open_topic(
            scope=None, unit_code=COMMUNITY, title="文明养犬公约", background="", images=[],
            comments_until=now + timedelta(days=1), vote=spec, representatives=None, eligible_count=None, by="bench")
        votes = make_votes(topic_id, kiosks, total, cards, now - timedelta(hours=7), rng)
        first: dict[str, DeliberationVote] = {}
        for v in sorted(votes, key=lambda v: (v.created_at, v.id)):
            first.setdefault(v.resident_key, v)
        expected = dict(Counter(v.option for v in first.values()))
        # each kiosk's backlog in its own order (oldest first), the kiosks' streams interleaved at the broker
        backlogs = {k: [v for v in votes if v.device_id == k] for k in kiosks}
        arrivals: list[DeliberationVote] = []
        while any(backlogs.values()):
            for k in rng.sample(kiosks, len(kiosks)):
                if backlogs[k]:  # a few messages of each kiosk's backlog at a time
                    n = rng.randint(1, 10)
                    arrivals.extend(backlogs[k][:n])
                    del backlogs[k][:n]
        raws = [RawMessage(uplink_topic_for(v), encode(v), datetime.now(UTC)) for v in arrivals]

        job = DeliberationJob(store, None, lambda: datetime.now(UTC))
        bell = threading.Event()
        ingested = threading.Event()

        def take() -> None:
            while True:
                bell.wait(0.5)
                bell.clear()
                done = ingested.is_set()
                job.run_once()
                if done and job.votes_taken >= total:
                    return

        cpu0, wall0 = time.process_time(), time.perf_counter()
        taker = threading.Thread(target=take)
        taker.start()
        stored = 0
        for i in range(0, len(raws), BATCH):
            stored += ingest_batch(raws[i:i + BATCH], store).stored_records
            bell.set()  # the bridge rings the job after each commit that carried votes
        ingested.set()
        bell.set()
        taker.join()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        with store.read() as conn:
            counted = repo.tally(conn, topic_id)
            statuses = repo.vote_statuses(conn, topic_id)
        store.close()
    return {"votes": total, "stored": stored, "kiosks": kiosk_count, "cards": len(first), "exact": counted == expected,
            "counted": sum(counted.values()), "kept": statuses.get("kept", 0),
            "already_voted": statuses.get("already_voted", 0), "displaced": statuses.get("displaced", 0),
            "wall_s": wall, "cpu_s": cpu, "cpu_ms_per_vote": cpu * 1000 / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--cards", type=int, default=6_000)
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server url (a fresh database is made)")
    args = parser.parse_args()
    if args.db == "sqlite":
        figures = run("sqlite", args.votes, args.kiosks, args.cards)
    else:
        url, name = fresh_pg_database(args.db)
        try:
            figures = run(url, args.votes, args.kiosks, args.cards)
        finally:
            drop_pg_database(args.db, name)
    db = "sqlite" if args.db == "sqlite" else "postgresql"
    print(f"vote_tally ({db}): {figures['votes']} votes from {figures['kiosks']} kiosks, {figures['cards']} cards "
          f"(stored {figures['stored']})")
    print(f"  tally exact: {figures['exact']}  counted {figures['counted']} cards  "
          f"(kept {figures['kept']}, already_voted {figures['already_voted']}, displaced {figures['displaced']})")
    print(f"  time to final tally: {figures['wall_s']:.2f} s  hub CPU: {figures['cpu_s']:.2f} s "
          f"= {figures['cpu_ms_per_vote']:.3f} ms per vote (ingest + job)")
    if not figures["exact"]:
        raise SystemExit("the tally is not exact")


if __name__ == "__main__":
    main()
