"""A long run: the sample community's terminals (+ optional load fleets) and a hub, with periodic faults.

    python -m tests.faults.soak --hours 0.5 [--fleet 100 --fleet-rate 0.05] [--fault-every 4] [--db ...]
    python -m tests.faults.soak --district --hours 0.6 --fault-every 0 --db postgresql://postgres@127.0.0.1/postgres

(from the repo root, as every script under tests/faults/).

``--district`` is district size and load: the sample's 15 terminals, a fleet of 100 real terminals (reports
with photos, check-ins, positions: the simulator's mix) and a crowd of 1,185 position-only MQTT devices
(``--crowd``, many per process, one fix every ``--crowd-interval`` s), ≈1,300 devices and ≈130 msg/s.
``--fault-every 0`` is a pure memory soak. ``--memdiag FILE [--tracemalloc]`` makes the hub append memory
samples to FILE (hub/process/memdiag.py: gc object counts, glibc heap in use vs. free, tracemalloc's growing sites).

Every minute it prints the hub's RSS and CPU, the broker's RSS, the bridge's queue depth, task messages still
unconfirmed, the devices' unacknowledged backlog, and the two numbers that must stay 0 all along:
acknowledged-but-missing and duplicates. Faults (kill -9 of the hub, broker restart, a link cut, kill -9 of
the producing devices, the hub's disk full, PostgreSQL restart with --db postgresql://...) take turns every
``--fault-every`` minutes. At the end production stops, everything drains, and the final audit prints
created / stored / lost / duplicates, tasks confirmed, and the hub's RSS growth after warm-up for each hub
process lifetime (a kill -9 starts a new one).
"""
from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from gridline.audit import audit
from hub import sample
from hub.mqtt.embedded_broker import ManagedBroker
from hub.store import HubStore
from hub.store.tables import downlinks
from tests.e2e.netcut import CuttableLink
from tests.faults.rig import (
    Crowd,
    FaultHub,
    Phones,
    Template,
    can_mount_tmpfs,
    fill_disk,
    hub_backlog,
    is_postgres,
    restart_postgres,
    start_producers,
    stop_process,
    task_counts,
)
from tests.isolation import free_port

CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError):
        return 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hours", type=float, required=True)
    p.add_argument("--db", default="sqlite")
    p.add_argument("--rate", type=float, default=0.5, help="records/s per sample kiosk or tablet (default 0.5)")
    p.add_argument("--fleet", type=int, default=0, help="extra load devices outside the sample (default 0)")
    p.add_argument("--fleet-rate", type=float, default=0.05, help="records/s per load device")
    p.add_argument("--fault-every", type=float, default=4.0, help="minutes between faults (0: none)")
    p.add_argument("--crowd", type=int, default=0, help="position-only MQTT devices, many per process")
    p.add_argument("--crowd-interval", type=float, default=10.0, help="mean seconds between a crowd device's fixes")
    p.add_argument("--district", action="store_true", help="≈1,300 devices, ≈130 msg/s (sets --fleet/--crowd)")
    p.add_argument("--memdiag", type=Path, help="the hub appends memory diagnostics here (hub/process/memdiag.py)")
    p.add_argument("--tracemalloc", action="store_true", help="with --memdiag: also tracemalloc's top growth")
    p.add_argument("--faults", help="comma-separated subset of the faults (default all that apply); pg_restart "
                   "restarts the machine's PostgreSQL server, so leave it out on a shared machine")
    p.add_argument("--warmup", type=float, default=3.0, help="minutes of a hub lifetime before RSS counts")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args(argv)
    if args.district:
        args.fleet, args.fleet_rate = 100, 0.05
        args.crowd = 1300 - len(sample.devices()) - args.fleet
    if args.memdiag:  # the hub process inherits these (FaultHub passes os.environ on)
        os.environ["GRIDLINE_MEMDIAG"] = str(args.memdiag.resolve())
        if args.tracemalloc:
            os.environ["GRIDLINE_TRACEMALLOC"] = "1"

    def stop_early(*_):  # Ctrl+C or kill: still stop, drain, audit and clean up (finally below)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_early)
    signal.signal(signal.SIGINT, stop_early)  # also when started in the background, where SIGINT is ignored
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="gridline-soak-"))
    devices_dir, hub_dir = work / "devices", work / "hub"
    hub_dir.mkdir(parents=True, exist_ok=True)
    tmpfs = can_mount_tmpfs()
    if tmpfs:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", str(hub_dir)], check=True)
    template = Template(work / "template", args.db)
    db_url = template.new_db(hub_dir)
    broker = ManagedBroker(work / "broker", port=free_port(), engine="mosquitto").start()
    try:
        hub = FaultHub(broker.url, hub_dir, db_url, work / "hub.log").start(timeout=120)  # a busy machine: patience
    except RuntimeError:
        broker.stop()
        template.drop_db(db_url)
        template.close()
        raise
    multiprocessing.set_start_method("spawn", force=True)  # crowd processes start anew, even once we have threads
    crowd = Crowd(broker.host, broker.port, args.crowd, args.crowd_interval).start() if args.crowd else None
    store = HubStore(db_url, hub_dir)
    links = {name: CuttableLink(broker.host, broker.port) for name in ("producers", "phones", "fleet")}
    producer_ids = [d.id for d in sample.devices() if d.kind in ("kiosk", "tablet")]
    phone_ids = [d.id for d in sample.devices() if d.kind == "phone"]
    fleet_ids = [f"soak-{i:03d}" for i in range(args.fleet)]
    all_ids = producer_ids + phone_ids + fleet_ids
    duration = args.hours * 3600
    producers = start_producers(links["producers"].url, devices_dir, args.seed, duration, args.rate,
                                work / "producers.log", ids=",".join(producer_ids))
    fleet = start_producers(links["fleet"].url, devices_dir, args.seed, duration, args.fleet_rate,
                            work / "fleet.log", ids=f"soak*{args.fleet}") if args.fleet else None
    phones = Phones(links["phones"].url, devices_dir, args.seed, pace=0.2, ids=phone_ids)
    phones.start()
    faults = [f for f in ("hub_kill", "broker_restart", "link_cut", "device_kill", "disk_full", "pg_restart")
              if (f != "disk_full" or tmpfs) and (f != "pg_restart" or is_postgres(args.db))
              and (not args.faults or f in args.faults.split(","))]
    cycle = itertools.cycle(rng.sample(faults, len(faults)))
    schedule = f"faults every {args.fault_every} min: {', '.join(faults)}" if args.fault_every else "no faults"
    print(f"soak: {args.hours}h, {len(all_ids) + args.crowd} devices ({len(producer_ids)} kiosks/tablets at "
          f"{args.rate}/s, {len(phone_ids)} phones taking tasks, {args.fleet} load devices at {args.fleet_rate}/s, "
          f"{args.crowd} crowd devices: a fix every {args.crowd_interval}s), {schedule}; "
          f"db {args.db.split('@')[-1]}; work {work}", flush=True)
    print(f"{'min':>5} {'hub RSS MB':>10} {'hub CPU%':>8} {'broker MB':>9} {'queue':>6} {'stored':>8} {'msg/s':>6} "
          f"{'backlog':>8} {'tasks open':>10} {'acked_missing':>13} {'dup':>4}  fault", flush=True)

    started = time.monotonic()
    next_fault = started + args.fault_every * 60 if args.fault_every else float("inf")
    samples: dict[int, list[tuple[float, float]]] = {}  # hub pid -> [(minutes into its life, RSS)]
    born = {hub.proc.pid: started}
    last_cpu, last_t, fault_note = cpu_seconds(hub.proc.pid), started, ""
    last_stored, max_queue = store.count_records(), 0
    bad = 0
    try:
        while time.monotonic() - started < duration:
            now = time.monotonic()
            if now >= next_fault:
                fault = next(cycle)
                fault_note = inject(fault, rng, hub, broker, links, hub_dir, producers, crowd)
                if fault == "device_kill":
                    producers = start_producers(links["producers"].url, devices_dir, args.seed + int(now),
                                                max(1.0, duration - (now - started)), args.rate,
                                                work / "producers.log", ids=",".join(producer_ids))
                if fault == "hub_kill":
                    born[hub.proc.pid] = time.monotonic()
                    last_cpu, last_t = cpu_seconds(hub.proc.pid), time.monotonic()
                next_fault = time.monotonic() + args.fault_every * 60
            time.sleep(max(0.0, 60 - (time.monotonic() - last_t)))
            pid = hub.proc.pid
            cpu, t = cpu_seconds(pid), time.monotonic()
            cpu_pct, last_cpu, last_t = 100 * (cpu - last_cpu) / max(1e-6, t - last_t), cpu, t
            rss = rss_mb(pid)
            samples.setdefault(pid, []).append(((t - born.get(pid, started)) / 60, rss))
            try:
                health = hub.get("/api/health")
            except OSError:
                health = {}
            totals = audit({d: devices_dir / d for d in all_ids if (devices_dir / d / "terminal.db").exists()}, store)
            with store.engine.connect() as conn:
                open_tasks = conn.execute(sa.select(sa.func.count()).where(
                    downlinks.c.kind == "task", downlinks.c.state.in_(("queued", "sent")))).scalar_one()
            bad += totals.acked_but_missing + totals.duplicates
            stored = store.count_records()
            rate, last_stored = (stored - last_stored) / 60, stored
            if isinstance(health.get("queue_depth"), int):
                max_queue = max(max_queue, health["queue_depth"])
            print(f"{(t - started) / 60:5.1f} {rss:10.1f} {cpu_pct:8.1f} {rss_mb(broker._process.pid):9.1f} "
                  f"{health.get('queue_depth', '?'):>6} {stored:>8} {rate:6.1f} "
                  f"{totals.created - totals.acknowledged:>8} {open_tasks:>10} {totals.acked_but_missing:>13} "
                  f"{totals.duplicates:>4}  {fault_note}", flush=True)
            fault_note = ""
    except KeyboardInterrupt:
        print("soak: stopped early", flush=True)
    finally:
        print("soak: stopping production, draining ...", flush=True)
        for proc in (producers, fleet):  # stop producing but stay connected: kiosks confirm the last tasks
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGUSR1)
        phones.stop_working()
        if crowd is not None:
            crowd.stop()
        drain_started = time.monotonic()
        deadline, waiting_for = drain_started + 300, "the database"
        while time.monotonic() < deadline:
            try:
                sent, confirmed, _ = task_counts(store, set(all_ids))
                left = hub_backlog(store) + (crowd.audit(store)["acked_not_stored"] if crowd is not None else 0)
                totals = audit({d: devices_dir / d for d in all_ids if (devices_dir / d / "terminal.db").exists()},
                               store)
            except sa.exc.SQLAlchemyError:  # PostgreSQL may be coming back from a restart
                time.sleep(2)
                continue
            waiting_for = (f"{sent - confirmed} task messages, {left} hub backlog, "
                           f"{totals.created - totals.acknowledged} device records")
            if sent == confirmed and not left and totals.acknowledged == totals.created:
                waiting_for = ""
                break
            time.sleep(2)
        print(f"soak: drained in {time.monotonic() - drain_started:.0f}s" if not waiting_for else
              f"soak: drain gave up after 300s, still waiting for {waiting_for}", flush=True)
        for proc in (producers, fleet):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        phones.stop()
        for proc in (producers, fleet):
            if proc is not None:
                stop_process(proc)
        totals = audit({d: devices_dir / d for d in all_ids if (devices_dir / d / "terminal.db").exists()}, store)
        sent, confirmed, elsewhere = task_counts(store, set(all_ids))
        print(f"soak: created={totals.created} stored={totals.stored} acknowledged={totals.acknowledged} "
              f"lost={totals.lost} duplicates={totals.duplicates} acked_but_missing={totals.acked_but_missing} "
              f"tasks confirmed {confirmed}/{sent} (to devices not running: {elsewhere}) "
              f"dead letters {store.count_dead_letters()}", flush=True)
        crowd_totals = crowd.audit(store) if crowd is not None else {}
        if crowd is not None:
            print("soak: crowd " + " ".join(f"{k}={v}" for k, v in crowd_totals.items()), flush=True)
        print(f"soak: max queue depth {max_queue}", flush=True)
        for pid, points in samples.items():
            warm = [(m, r) for m, r in points if m >= args.warmup]
            if len(warm) >= 2:
                growth = 100 * (warm[-1][1] - warm[0][1]) / warm[0][1]
                print(f"soak: hub pid {pid}: RSS {warm[0][1]:.1f} MB at {warm[0][0]:.0f} min of its life -> "
                      f"{warm[-1][1]:.1f} MB at {warm[-1][0]:.0f} min ({growth:+.1f}%), peak "
                      f"{max(r for _, r in points):.1f} MB", flush=True)
        store.close()
        hub.stop()
        for link in links.values():
            link.close()
        broker.stop()
        template.drop_db(db_url)
        template.close()
        if tmpfs:
            subprocess.run(["umount", "-l", str(hub_dir)], check=False)
    ok = (totals.lost == 0 and totals.duplicates == 0 and totals.acked_but_missing == 0 and bad == 0
          and not crowd_totals.get("duplicates") and not crowd_totals.get("acked_not_stored"))
    print("soak: OK" if ok else "soak: LOSS OR DUPLICATES", flush=True)
    return 0 if ok else 1


def inject(fault: str, rng: random.Random, hub: FaultHub, broker: ManagedBroker, links, hub_dir: Path,
           producers: subprocess.Popen, crowd: Crowd | None) -> str:
    if fault == "hub_kill":
        hub.kill9()
        time.sleep(rng.uniform(1, 10))
        hub.start(timeout=120)
        return "hub kill -9"
    if fault == "broker_restart":
        if crowd is not None:
            crowd.stop()  # its clients do not reconnect: a new generation after the restart
        broker.restart(down_for=rng.uniform(1, 10))
        if crowd is not None:
            crowd.start()
        return "broker restart"
    if fault == "link_cut":
        which, down = rng.choice(sorted(links)), rng.uniform(5, 90)
        links[which].cut()
        time.sleep(down)
        links[which].restore()
        return f"{which} link cut {down:.0f}s"
    if fault == "device_kill":
        producers.kill()
        producers.wait(10)
        return "kiosks/tablets kill -9"
    if fault == "disk_full":
        filler = fill_disk(hub_dir)
        time.sleep(rng.uniform(5, 30))
        filler.unlink()
        return "hub disk full"
    if fault == "pg_restart":
        restart_postgres()
        return "PostgreSQL restart"
    raise ValueError(fault)


if __name__ == "__main__":
    sys.exit(main())
