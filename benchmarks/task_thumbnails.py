"""Task thumbnails: bytes per thumbnail, and the time from a kiosk report with a photo to the grid leader's phone
holding its task WITH the photo's thumbnail.

    python -m benchmarks.task_thumbnails [--reports 50] [--devices 1300] [--interval 10] [--rate 1]
                                         [--db sqlite|postgresql://...]

The rig of benchmarks/report_to_task_latency.py (a fresh Mosquitto, the real hub as ``gridline hub serve`` with
the sample community and auto-dispatch, ``--devices`` background MQTT clients publishing positions — district load
is ≈1,300 devices at one fix per 10 s), but every report carries a real photo: a 1280x720 synthetic street scene
through the kiosk's own pipeline (``terminal.camera.process_photo``: blur and exposure check, faces blurred, JPEG),
sent in chunks after the record, as a kiosk does.

Latency = the phone's inbox callback for the first task of that case whose ``thumbnails`` carry the report photo's
JPEG − the moment before ``kiosk.report()`` was called (the resident filing the report). It includes the photo's
chunked upload, hub assembly, case intake, auto-dispatch, thumbnail encoding, and - when the record outran its
photo - the second (``update``) task. Thumbnail bytes: the raw JPEG sizes carried in those tasks. Prints both and
writes benchmarks/results/task_thumbnails_<db>.json.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report_to_task_latency import _enabled_categories, _pct, background, lattice
from benchmarks.rig import wait_http
from hub import sample
from hub.mqtt.embedded_broker import ManagedBroker, free_port
from protocol import TaskBody
from terminal.camera import SyntheticCameraProvider, process_photo
from terminal.device import Device

ROOT = Path(__file__).resolve().parents[1]

def photos(n: int) -> list[bytes]:
    """n distinct kiosk photos, as the kiosk's pipeline makes them."""
    made = []
    for i in range(n):
        with SyntheticCameraProvider(seed=1000 + i) as camera:
            made.append(process_photo(camera.read_frame()).jpeg)
    return made


def time_reports(broker_url: str, dev_dir: Path, reports: int, rate: float, settle: float) -> dict:
    grids = sample.grids()
    points = {g.code: lattice(g) for g in grids}
    kiosks_of = {d.grid: d for d in sample.devices() if d.kind == "kiosk"}
    leads = {d.grid: d for d in sample.devices() if d.kind == "phone" and "lead" in d.id}
    shots = photos(reports)
    sha_of: dict[str, str] = {}  # token → report photo sha256
    arrived: dict[str, float] = {}  # token → the task with the thumbnail
    first_task: dict[str, float] = {}  # token → the first task, with or without it
    thumb_bytes: dict[str, int] = {}
    lock = threading.Lock()

    def on_task(message) -> None:
        if message.kind != "task":
            return
        body = TaskBody.model_validate(message.body)
        if body.role.value != "handler" or not body.note.startswith("bench-"):
            return
        now = time.time()
        with lock:
            first_task.setdefault(body.note, now)
            for t in body.thumbnails or []:
                if t.jpeg_b64 and t.sha256 == sha_of.get(body.note) and body.note not in arrived:
                    arrived[body.note] = now
                    thumb_bytes[body.note] = len(base64.b64decode(t.jpeg_b64))

    kiosks, phones = [], []
    for g in grids:
        phones.append(Device(leads[g.code].id, dev_dir / leads[g.code].id, broker_url, on_downlink=on_task).start())
        kiosks.append(Device(kiosks_of[g.code].id, dev_dir / kiosks_of[g.code].id, broker_url).start())
    try:
        for d in kiosks + phones:
            d.wait_connected(20)
        categories = [c for c in _enabled_categories() if not c.startswith("W")]
        sent_at: dict[str, float] = {}
        for i in range(reports):
            gi = i % len(grids)
            lat, lon = points[grids[gi].code][i // len(grids) % len(points[grids[gi].code])]
            token = f"bench-{i:05d}"
            sent_at[token] = time.time()
            record = kiosks[gi].report(categories[i % len(categories)], lat, lon, accuracy_m=5.0, note=token,
                                       photos=[shots[i]])
            with lock:
                sha_of[token] = record.photos[0].sha256
            time.sleep(1.0 / rate)
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and len(arrived) < len(sent_at):
            time.sleep(0.1)
    finally:
        for d in kiosks + phones:
            d.stop()
    return {"sent_at": sent_at, "arrived": arrived, "first_task": first_task, "thumb_bytes": thumb_bytes,
            "photo_bytes": [len(p) for p in shots]}


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="gridline-thumbs-"))
    broker = ManagedBroker(work / "broker").start()
    db = args.db if args.db != "sqlite" else f"sqlite:///{work / 'hub.db'}"
    http = free_port()
    gridline = [sys.executable, "-m", "gridline.cli"]
    try:
        subprocess.run([*gridline, "hub", "community", "load-sample", "--db", db], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    except BaseException:
        broker.stop()
        raise
    hub_log = open(work / "hub.log", "w")
    hub = subprocess.Popen([*gridline, "hub", "serve", "--broker", broker.url, "--db", db, "--http",
                            f"127.0.0.1:{http}", "--data-dir", str(work / "hub")], cwd=ROOT,
                           stdout=hub_log, stderr=subprocess.STDOUT)
    stop = mp.Event()
    counter = mp.Value("q", 0)
    procs = []
    try:
        wait_http(http)
        ids = [f"bg-{i:05d}" for i in range(args.devices)]
        per = max(1, len(ids) // args.procs)
        for k in range(0, len(ids), per):
            p = mp.Process(target=background, args=("127.0.0.1", broker.port, ids[k:k + per], args.interval, stop,
                                                    counter), daemon=True)
            p.start()
            procs.append(p)
        time.sleep(args.warmup)
        bg_before, t_start = counter.value, time.monotonic()
        timed = time_reports(broker.url, work / "dev", args.reports, args.rate, args.settle)
        bg_rate = (counter.value - bg_before) / (time.monotonic() - t_start)
    finally:
        stop.set()
        for p in procs:
            p.join(10)
        hub.terminate()
        hub.wait(20)
        hub_log.close()
        broker.stop()
    sent_at, arrived = timed["sent_at"], timed["arrived"]
    lat_ms = sorted((arrived[t] - sent_at[t]) * 1000 for t in arrived)
    first_ms = sorted((timed["first_task"][t] - sent_at[t]) * 1000 for t in timed["first_task"])
    sizes = sorted(timed["thumb_bytes"].values())
    result = {
        "devices": args.devices, "interval_s": args.interval, "background_msgs_per_s": round(bg_rate, 1),
        "reports": len(sent_at), "with_thumbnail": len(lat_ms), "missing": len(sent_at) - len(lat_ms),
        "db": "sqlite" if args.db == "sqlite" else "postgresql",
        "thumb_bytes_min": sizes[0] if sizes else None, "thumb_bytes_median": statistics.median(sizes) if sizes
        else None, "thumb_bytes_max": sizes[-1] if sizes else None,
        "photo_bytes_median": statistics.median(timed["photo_bytes"]),
        "p50_ms": _pct(lat_ms, 50), "p95_ms": _pct(lat_ms, 95), "max_ms": round(lat_ms[-1], 1) if lat_ms else None,
        "first_task_p50_ms": _pct(first_ms, 50), "first_task_p95_ms": _pct(first_ms, 95),
        "cores": os.cpu_count(), "python": platform.python_version(),
    }
    if args.keep:
        result["work_dir"] = str(work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--devices", type=int, default=1300, help="background devices (district ≈ 1,300)")
    ap.add_argument("--interval", type=float, default=10.0, help="mean seconds between one device's positions")
    ap.add_argument("--rate", type=float, default=1.0, help="reports per second")
    ap.add_argument("--procs", type=int, default=4, help="processes for the background devices")
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--settle", type=float, default=40.0, help="seconds to wait for the last tasks")
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (hub log, databases)")
    r = run(ap.parse_args())
    print(f"thumbnail bytes per photo: min {r['thumb_bytes_min']}, median {r['thumb_bytes_median']}, "
          f"max {r['thumb_bytes_max']} (full photo median {r['photo_bytes_median']} bytes)")
    print(f"report filed -> task with thumbnail on the phone, {r['with_thumbnail']}/{r['reports']} reports "
          f"({r['devices']} background devices, {r['background_msgs_per_s']} msg/s, {r['db']}): "
          f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms "
          f"(first task, with or without it: p50 {r['first_task_p50_ms']} ms, p95 {r['first_task_p95_ms']} ms)")
    out = ROOT / "benchmarks" / "results" / f"task_thumbnails_{r['db']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(), "run": r}, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
