"""The notice fan-out (居务公开) at district size: a notice published to a community with ``--kiosks`` kiosks, on
SQLite or PostgreSQL, through ``NoticeService`` (what ``POST /api/notices`` runs): the time to publish (version
row, one ``bulletin`` downlink and one delivery row per kiosk, in one transaction), the time of a steady-state pass
of the fan-out job (every kiosk served: what the job costs every ``hub/notices/job.py`` SWEEP_S), and the size of
one downlink of the largest kind (3 images re-encoded from worst-case noise photos, 4000 characters).

    .venv/bin/python -m benchmarks.notice_fanout [--kiosks 2000] [--db URL]

``--db``: a PostgreSQL URL of an empty database you made for it (left as the run made it); default a
SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from hub import sample
from hub.notices.service import Draft, NoticeService
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, save_device_bindings
from hub.store import HubStore
from protocol import DownlinkMessage, encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosks", type=int, default=2000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="notice-fanout-"))
    store = HubStore(args.db or f"sqlite:///{tmp / 'hub.db'}", tmp / "hub")
    try:
        store.migrate()
        load_community(store, sample.load_raw())
        grids = [g.code for g in sample.grids()]
        with store.write() as conn:
            save_device_bindings(conn, [DeviceBinding(f"kiosk-bench-{i:05d}", "kiosk", grids[i % len(grids)])
                                        for i in range(args.kiosks)])
        noise = np.random.default_rng(1).integers(0, 255, (1200, 1600, 3), dtype=np.uint8)  # worst case for JPEG
        upload = base64.b64encode(cv2.imencode(".png", noise)[1].tobytes()).decode()
        service = NoticeService(store)
        started = time.perf_counter()
        service.publish(Draft(title="2026年第三季度社区财务收支公示", text="收" * 4000, category="finance",
                              target_code=grids[0][:12],  # the grids' community
                              images=[upload] * 3), "op-bench")
        publish_s = time.perf_counter() - started
        row = store.list_downlinks("kiosk-bench-00000")[0]
        wire = encode(DownlinkMessage(id=row.id, device_id=row.device_id, kind=row.kind, body=json.loads(row.body),
                                      created_at=row.created_at, expires_at=row.expires_at))
        started = time.perf_counter()
        again = service.fanout()
        steady_s = time.perf_counter() - started
        print(f"{store.engine.dialect.name}: publish to {service.queued} kiosks: {publish_s:.2f} s; steady-state "
              f"pass: {steady_s * 1000:.0f} ms ({again} queued); one bulletin downlink (3 images, 4000 chars): "
              f"{len(wire)} bytes")
    finally:
        store.close()


if __name__ == "__main__":
    main()
