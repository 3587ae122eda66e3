"""The hub's write path alone, in-process, no MQTT: decode + ``store_batch`` cost per record.

    python -m benchmarks.store_microbench postgresql://postgres@127.0.0.1/somedb [--batches 4] [--batch 500]
    python -m benchmarks.store_microbench sqlite:////tmp/micro.db

Decodes 20 devices' PositionFix records (the ingest benchmark's payloads) and stores them in batches of
``--batch`` through the real ``HubStore.store_batch``; prints µs per record for decoding and for storing
(one transaction per batch, commit included). The database must be empty or fresh (migrations are applied).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.ingest_throughput import make_payloads
from hub.mqtt.ingest import RawMessage, decode_batch
from hub.store import HubStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db_url")
    ap.add_argument("--batches", type=int, default=4, help="rounds of 20 devices x 100 records")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    store = HubStore(args.db_url, Path(tempfile.mkdtemp(prefix="gridline-micro-")))
    store.migrate()
    ids = [f"micro-{i:03d}" for i in range(20)]
    decode_us, store_us = [], []
    try:
        for rnd in range(args.batches):
            now = datetime.now(UTC)
            raws = [RawMessage(topic, payload, now) for rows in make_payloads(ids, 100, rnd).values()
                    for _, topic, payload in rows]
            t0 = time.perf_counter()
            items = decode_batch(raws)
            t1 = time.perf_counter()
            for i in range(0, len(items), args.batch):
                store.store_batch(items[i:i + args.batch])
            t2 = time.perf_counter()
            decode_us.append(1e6 * (t1 - t0) / len(raws))
            store_us.append(1e6 * (t2 - t1) / len(raws))
            print(f"round {rnd}: decode {decode_us[-1]:5.1f} us/record   store {store_us[-1]:5.1f} us/record")
    finally:
        store.close()
    print(f"best: decode {min(decode_us):.1f} us/record, store {min(store_us):.1f} us/record "
          f"({store.engine.dialect.name}, batches of {args.batch})")


if __name__ == "__main__":
    main()
