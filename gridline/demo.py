"""``gridline demo``: a live demo community on the embedded defaults.

Starts the hub (embedded broker, SQLite in the data dir), takes the sample community 福石社区 (five grids;
a kiosk, a patrol tablet and a grid leader's phone per grid), runs those fifteen terminals on the real
terminal core (kiosks and tablets produce reports with photos, check-ins and patrol positions inside their
grid), sends every kiosk a welcome notice (网格公告) over the downlink, and prints a live status line. With
``--for SECONDS`` it stops producing after that time, lets the devices drain, audits devices against the hub
- records, and the notices each kiosk can show by its own count (``notices: sent=N readable_on_kiosks=M``) -
and ends with ``demo: created=C stored=S acknowledged=A lost=L duplicates=D``. However it ends (done, Ctrl+C,
SIGTERM, an error), the hub and its embedded broker are stopped.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.process.runner import HubRunner
    from hub.store import HubStore
    from terminal.simulate import SimulationTotals

DEFAULT_DATA_DIR = Path("gridline-data")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("demo", help="run a live demo community (hub + embedded broker + 15 terminals)")
    p.add_argument("--for", dest="duration", type=float, default=None,
                   help="stop producing after SECONDS, drain, audit and exit (default: run until Ctrl+C)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="hub and device state (default ./gridline-data)")
    p.add_argument("--http", default="127.0.0.1:8080", help="HOST:PORT for the hub API (port 0 = any free port)")
    p.add_argument("--broker", default="embedded", help="'embedded' (default) or mqtt://host:port")
    p.add_argument("--rate", type=float, default=0.5, help="records per second per producing device (default 0.5)")
    p.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for devices to drain")
    p.set_defaults(func=run)


def _post_json(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def case_states(store: HubStore) -> dict[str, int]:
    from hub.cases.repo import count_by_state

    with store.read() as conn:
        return count_by_state(conn)


def _demo_admin_session(store: HubStore, hub_dir: Path) -> str:
    """Sign-in for the demo: its admin - the community's dispatcher in case trails; random password printed on
    the first start only - and a session of the demo's own for the notices it sends over the API."""
    from hub import sample
    from hub.auth.bootstrap import ensure_demo_admin
    from hub.auth.operators import OperatorDirectory
    from hub.org.repo import Person, save_people

    community = next(u["code"] for u in sample.load_raw()["hierarchy"] if u["level"] == "community")
    with store.write() as conn:
        save_people(conn, [Person("p-demo-dispatcher", "社区调度员（演示）", "dispatcher", community)])
    directory = OperatorDirectory(store, clock=store.clock)
    admin, password = ensure_demo_admin(directory, community, person_id="p-demo-dispatcher")
    reset = f"gridline hub operators passwd {admin.username} --data-dir {hub_dir}"
    if password:
        print(f"  sign in   user {admin.username}  password {password}   (shown this once; change it: {reset})",
              flush=True)
    else:
        print(f"  sign in   user {admin.username} (its password was shown on the first start; reset: {reset})",
              flush=True)
    return directory.start_session(admin.id, user_agent="gridline demo").token


class Terminated(SystemExit):
    """SIGTERM / SIGHUP turned into an exception of the main thread, so that every ``finally`` runs."""


def _exit_cleanly_on_signals() -> Callable[[], None]:
    """SIGTERM and SIGHUP (a service manager stopping the demo, a closed terminal) raise :class:`Terminated` in the
    main thread instead of ending the process on the spot, which would leave the embedded broker (a Mosquitto
    child process) running; SIGINT already raises KeyboardInterrupt. A second signal during the clean-up is
    ignored. Returns what puts the previous handlers back."""
    signals = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])

    def stop(signum: int, frame: FrameType | None) -> None:
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)
        raise Terminated(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in signals}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def run(args: argparse.Namespace) -> int:
    from hub.process.runner import HubRunner
    from hub.settings import HubSettings

    host, _, port = args.http.rpartition(":")
    data_dir: Path = args.data_dir.resolve()
    settings = HubSettings(data_dir=data_dir / "hub", broker_url=args.broker, http_host=host or "127.0.0.1",
                           http_port=int(port), client_id="gridline-demo-hub")
    restore = _exit_cleanly_on_signals() if threading.current_thread() is threading.main_thread() else None
    hub = HubRunner(settings)
    stop = threading.Event()
    try:
        hub.start()
        return _demo(args, hub, data_dir, stop)
    finally:  # every way out - done, Ctrl+C, SIGTERM, an error - stops the devices, the hub and its broker
        stop.set()
        with _signals_held_off():  # a second Ctrl+C / SIGTERM must not cut the clean-up short
            hub.stop()
        if restore is not None:
            restore()


@contextmanager
def _signals_held_off() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP ignored inside (main thread only: elsewhere signals cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _demo(args: argparse.Namespace, hub: HubRunner, data_dir: Path, stop: threading.Event) -> int:
    from gridline.audit import audit, kiosk_notices
    from hub import sample
    from hub.org.geojson_io import load_community
    from hub.welfare.sample import load_sample_enrolments
    from terminal.simulate import run_simulation

    settings = hub.settings
    store = hub.store
    loaded = load_community(store, sample.load_raw())  # hierarchy, grid polygons, people, device bindings
    enrolled = load_sample_enrolments(store)  # 1+1+N: empty-nest elderly residents with paired helpers
    grids = {g.code: g for g in sample.grids()}
    devices = sample.devices()
    device_ids = {d.id for d in devices}
    producers = [d for d in devices if d.kind in ("kiosk", "tablet")]
    phones = [d for d in devices if d.kind == "phone"]
    print(f"Gridline demo: 福石社区, {len(grids)} grids, {len(devices)} terminals "
          f"(hub holds {loaded.grids} grids, {loaded.people} people, {loaded.devices} device bindings, "
          f"{enrolled} residents newly enrolled in the welfare watch)", flush=True)
    print(f"  dashboard {hub.base_url}/app/   (the control room: map, live feed, cases, devices, statistics)",
          flush=True)
    print(f"  hub API   {hub.base_url}/docs   (health: {hub.base_url}/api/health)", flush=True)
    print(f"  broker    {hub.broker_url}   data {data_dir}", flush=True)
    token = _demo_admin_session(store, settings.data_dir)

    results: dict[str, SimulationTotals] = {}
    device_root = data_dir / "devices"
    # One producing fleet (kiosks + tablets, each walking inside its own grid) and one quiet fleet (phones),
    # both on the real terminal core; phones only receive.
    fleets = [
        ("producers", [d.id for d in producers], [list(grids[d.grid].ring) for d in producers], args.rate),
        ("phones", [d.id for d in phones], [list(grids[d.grid].ring) for d in phones], 0.0),
    ]
    # Behind each phone a simulated grid leader takes the tasks the hub dispatches (accept, arrive, resolve).
    fleet_options: dict[str, dict[str, Any]] = {"phones": {"handle_tasks": True}}
    broker_url = hub.broker_url
    assert broker_url is not None  # the runner starts its MQTT bridge (the default), so it has a broker
    threads = []
    for name, ids, areas, rate in fleets:
        def fleet(name=name, ids=ids, areas=areas, rate=rate):
            results[name] = run_simulation(broker_url, device_root, ids=ids, areas=areas, rate=rate,
                                           duration=args.duration, stop_event=stop,
                                           drain_timeout=args.drain_timeout, **fleet_options.get(name, {}))
        t = threading.Thread(target=fleet, name=f"demo-{name}", daemon=True)
        t.start()
        threads.append(t)

    time.sleep(1.0)
    # The welcome notice (网格公告) goes to each grid's kiosk, the terminal that shows notices.
    kiosks = {d.id: d.grid for d in devices if d.kind == "kiosk"}
    notices = []
    for device_id, grid in kiosks.items():
        body = {"title": "欢迎使用 Gridline", "text": f"{grids[grid].name}：演示开始", "grid_code": grid,
                "published_at": datetime.now(UTC).isoformat()}
        notices.append(_post_json(f"{hub.base_url}/api/devices/{device_id}/messages",
                                  {"kind": "notice", "body": body, "ttl_s": 3600}, token)["id"])

    started = time.monotonic()
    tty = sys.stdout.isatty()
    last_print = 0.0
    try:
        while any(t.is_alive() for t in threads):
            now = time.monotonic()
            if tty or now - last_print >= 5:
                rows = [row for row in store.list_devices() if row.id in device_ids]
                online = sum(1 for row in rows if row.state == "online")
                backlog = sum(row.outbox_depth or 0 for row in rows)
                delivered = sum(1 for m in notices
                                if (row := store.get_downlink(m)) and row.state in ("delivered", "read"))
                line = (f"[{now - started:6.0f}s] devices online {online}/{len(devices)}  "
                        f"records received {store.count_records()}  backlog {backlog}  "
                        f"notices confirmed {delivered}/{len(notices)}")
                print(("\r" + line) if tty else line, end="" if tty else "\n", flush=True)
                last_print = now
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping: letting the devices drain ...", flush=True)
        stop.set()
        for t in threads:
            t.join()
    if tty:
        print()

    totals = audit({d.id: device_root / d.id for d in devices}, store)
    delivered = sum(1 for m in notices if (row := store.get_downlink(m)) and row.state in ("delivered", "read"))
    # Counted on the kiosks themselves: the notices each one decoded and shows on its notices screen.
    shown = kiosk_notices({i: (device_root / i, grid) for i, grid in kiosks.items()}, set(notices))
    dead = store.count_dead_letters()
    hub.app.state.intake.run_once()  # take in the last reports before counting
    opened = hub.app.state.intake.opened
    states = case_states(store)
    hub.stop()
    print("per kind (created / acknowledged / pending):")
    per_kind: dict[str, list[int]] = {}
    for sim in results.values():
        for kind, k in sim.per_kind.items():
            acc = per_kind.setdefault(kind, [0, 0, 0])
            acc[0] += k.created
            acc[1] += k.acknowledged
            acc[2] += k.pending
    for kind, (c, a, p) in sorted(per_kind.items()):
        print(f"  {kind:<10} {c:>7} / {a:>7} / {p:>5}")
    photos: dict[str, int] = {}
    for sim in results.values():
        for state, n in sim.photos.items():
            photos[state] = photos.get(state, 0) + n
    print(f"photos by state on devices: {photos or '{}'}")
    print(f"notices: sent={len(notices)} readable_on_kiosks={shown.readable} "
          f"(confirmed by the kiosks {delivered}/{len(notices)}; unreadable {shown.unreadable})")
    print(f"dead letters at hub: {dead}")
    print(f"cases opened at the hub from reports (routed to grids, duplicates grouped): {opened}")
    print("cases by state: " + ("  ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none"))
    work: dict[str, int] = {}
    for sim in results.values():
        for action, n in sim.task_actions.items():
            work[action] = work.get(action, 0) + n
    print("field work done on phones (simulated grid leaders): "
          + ("  ".join(f"{k} {v}" for k, v in work.items() if v) or "none yet"))
    print(totals.line("demo"), flush=True)
    ok = totals.lost == 0 and totals.duplicates == 0 and totals.acked_but_missing == 0
    return 0 if ok and shown.readable == len(notices) else 1
