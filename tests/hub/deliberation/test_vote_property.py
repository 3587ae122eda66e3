"""One vote per card per topic, counted exactly once, over random interleavings: N kiosks, M cards, votes made
offline at random device times (ties included), delivered in any order, in batches, with resends, the job running
between some batches and not others. The tally always equals the number of distinct cards, each counted for its
first vote by device time (ties: record id) — the last one when the topic allows changes — and every kiosk's last
answer agrees. On SQLite and (fewer examples) PostgreSQL; and two hub workers taking one backlog at once on
PostgreSQL, without the cluster lock, still count each card once."""
from __future__ import annotations

import os
import random
import threading
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.deliberation import repo
from hub.deliberation.job import DeliberationJob
from hub.deliberation.service import DeliberationService
from tests.hub.conftest import T0
from tests.hub.deliberation.helpers import KIOSKS, OPTIONS, answers, card, deliver, job, load_sample, open_topic, vote

VOTE = st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 20), st.integers(0, len(OPTIONS) - 1))


def history(store, kiosks):
    found: dict[str, list[str]] = {}
    for kiosk in kiosks:
        for answer in answers(store, kiosk):
            found.setdefault(answer.vote_id, []).append(answer.status)
    return found


def test_the_tally_counts_each_card_once_whatever_the_arrival_order(store, clock):
    load_sample(store)
    service = DeliberationService(store, clock)
    # GRIDLINE_PROPERTY_EXAMPLES for a deeper run; 60 on SQLite in the suite (120 took 80 s of a shared CI core)
    examples = int(os.environ.get("GRIDLINE_PROPERTY_EXAMPLES", "60")) if store.db_url.startswith("sqlite") else 20

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(kiosk_count=st.integers(1, 5), votes=st.lists(VOTE, min_size=1, max_size=14),
           changes=st.booleans(), seed=st.integers(0, 2**32 - 1))
    def one_case(kiosk_count, votes, changes, seed):
        rng = random.Random(seed)
        clock.advance(3600)
        topic_id = open_topic(service, changes_allowed=changes)
        made = [vote(topic_id, KIOSKS[k % kiosk_count], card(c), OPTIONS[o], T0 + timedelta(minutes=m), seq=i + 1)
                for i, (c, k, m, o) in enumerate(votes)]
        arrivals = made + [rng.choice(made) for _ in range(rng.randint(0, 4))]  # resends after a lost receipt
        rng.shuffle(arrivals)
        while arrivals:  # offline backlogs arriving in bursts, the job running now and then
            size = rng.randint(1, 4)
            burst, arrivals = arrivals[:size], arrivals[size:]
            deliver(store, *burst)
            clock.advance(1)
            if rng.random() < 0.6:
                job(store, clock).run_once()
        job(store, clock).run_once()

        by_card: dict[str, list] = {}
        for v in made:
            by_card.setdefault(v.resident_key, []).append(v)
        pick = max if changes else min
        kept = {key: pick(vs, key=lambda v: (v.created_at, v.id)) for key, vs in by_card.items()}
        with store.read() as conn:
            counts = repo.tally(conn, topic_id)
        assert counts == dict(Counter(v.option for v in kept.values()))
        assert sum(counts.values()) == len(by_card)
        told = history(store, {v.device_id for v in made})
        kept_ids = {v.id for v in kept.values()}
        for v in made:
            said = told[v.id]
            if v.id in kept_ids:
                assert said[-1] in ("accepted", "changed"), (v, said)
            elif changes:
                assert said[-1] in ("accepted", "changed", "already_voted"), (v, said)
            else:
                assert said[-1] in ("already_voted", "displaced"), (v, said)
                assert ("accepted" in said) == (said[-1] == "displaced"), (v, said)

    one_case()


def test_two_hub_workers_taking_one_backlog_at_once_count_each_card_once(pg_store, clock):
    load_sample(pg_store)
    service = DeliberationService(pg_store, clock)
    topic_id = open_topic(service)
    rng = random.Random(7)
    made = [vote(topic_id, rng.choice(KIOSKS), card(c), rng.choice(OPTIONS), T0 + timedelta(minutes=rng.randint(0, 30)),
                 seq=i + 1) for i, c in enumerate(rng.randint(0, 79) for _ in range(600))]
    deliver(pg_store, *made)
    workers = [DeliberationJob(pg_store, None, clock, batch=50) for _ in range(2)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(w.votes_taken for w in workers) == len(made)
    first = {}
    for v in sorted(made, key=lambda v: (v.created_at, v.id)):
        first.setdefault(v.resident_key, v)
    with pg_store.read() as conn:
        assert repo.tally(conn, topic_id) == dict(Counter(v.option for v in first.values()))
