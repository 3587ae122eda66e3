"""Hub workers started together on one fresh PostgreSQL database all come up: migrations and the default
categories are installed by one worker at a time (before, the second worker died on a duplicate category)."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from hub.app import prepare_database
from hub.store import HubStore
from hub.store.tables import categories


def test_workers_starting_together_prepare_the_database_once(pg_url, tmp_path):
    stores = [HubStore(pg_url, tmp_path / f"w{i}") for i in range(3)]
    start, errors = threading.Barrier(len(stores)), []

    def worker(store: HubStore) -> None:
        start.wait()
        try:
            prepare_database(store)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not any(t.is_alive() for t in threads)  # unlocked, concurrent migrations deadlock here
        assert errors == []
        with stores[0].engine.connect() as conn:
            codes = conn.execute(sa.select(categories.c.code)).scalars().all()
        assert codes and len(codes) == len(set(codes))
    finally:
        for store in stores:
            store.close()
