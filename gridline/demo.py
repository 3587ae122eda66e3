"""``gridline demo``: a live demo community on the embedded defaults.

Starts the hub (embedded broker, SQLite in the data dir), takes the sample community 福石社区 (five grids; per grid
a kiosk, a patrol tablet and the phones of the grid leader, the grid worker and the property contact; the phones of
the community's supervisor, secretary, committee member, legal adviser and mediator, the street's, district's and
city's duty staff and the handling departments' contacts; its welfare enrolments and patrol checkpoints), runs those
terminals on the real terminal core (kiosks and tablets produce reports with photos, check-ins and patrol positions
inside their grid), sends every kiosk a welcome notice (网格公告) over the downlink, and prints a live status line.

The loop closes as in a real community, every step on the real paths: the hub files and dispatches each report to
its grid leader (智能派单); behind every phone a simulated person takes the tasks that reach it (the handler accepts,
arrives and resolves with a photo; the verifier - the grid leader for a grid worker's work, the community's
supervisor for a grid leader's - verifies), one case in hand at a time; a kiosk's service request (法律咨询, 矛盾调解,
报修) goes the same way to the legal adviser, the mediator or the grid's property contact (hub/services); the control
room, the demo signed in as the community's duty officer over the HTTP API (:mod:`gridline.control_room`), closes
what was verified, dispatches what waits for it (其他服务) and reassigns to the grid worker what waits for a busy
grid leader. Escalations and departments reach their phones as informed tasks.

With ``--for SECONDS`` it stops producing after that time, lets the devices drain, audits devices against the hub
- records, and the notices each kiosk can show by its own count (``notices: sent=N readable_on_kiosks=M``) -,
prints the community's KPIs for the demo's period (结案率 …, from ``GET /api/kpis``) and ends with
``demo: created=C stored=S acknowledged=A lost=L duplicates=D`` and, last,
``loop: reported=R filed=F dispatched=D resolved=S verified=V closed=C overdue=O`` (the cases opened during the
demo and how far round the loop they got; :class:`gridline.audit.LoopTotals`). However it ends (done, Ctrl+C,
SIGTERM, an error), the hub and its embedded broker are stopped.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridline.control_room import GridStaff
    from hub.process.runner import HubRunner
    from hub.sample import SampleDevice
    from hub.store import HubStore
    from terminal.simulate import SimulationTotals

DEFAULT_DATA_DIR = Path("gridline-data")


HELP = "run a live demo community (hub + embedded broker + its terminals)"


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("demo", help=HELP)
    p.add_argument("--for", dest="duration", type=float, default=None,
                   help="stop producing after SECONDS, drain, audit and exit (default: run until Ctrl+C)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="hub and device state (default ./gridline-data)")
    p.add_argument("--http", default="127.0.0.1:8080", help="HOST:PORT for the hub API (port 0 = any free port)")
    p.add_argument("--broker", default="embedded", help="'embedded' (default) or mqtt://host:port")
    p.add_argument("--rate", type=float, default=0.5, help="records per second per producing device (default 0.5)")
    p.add_argument("--pace", type=float, default=1.0,
                   help="the simulated people's pauses before each step, times this (default 1; 0.2 = five times "
                        "as fast)")
    p.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for devices to drain")
    p.set_defaults(func=run)


def _post_json(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _get_json(url: str, token: str) -> dict[str, Any]:
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f} %"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def community_kpis(base_url: str, token: str, community: str, start: datetime, end: datetime) -> str:
    """The community's KPI row for [start, end) as the control room reads it (``GET /api/kpis``), in one line."""
    query = urllib.parse.urlencode({"from": start.isoformat(), "to": end.isoformat(), "group_by": "community"})
    report = _get_json(f"{base_url}/api/kpis?{query}", token)
    row = next((r for r in report["rows"] if r["key"] == community), None)
    if row is None:
        return "kpis: no row for the community"
    return (f"kpis (GET /api/kpis, the demo's period): {row['name']} "
            f"结案率 closure_rate {_percent(row['closure_rate'])} "
            f"({row['cohort_closed']} of {row['filed']} filed closed)  按期结案率 on_time "
            f"{_percent(row['on_time_closure_rate'])}  平均接单 mean_accept {_seconds(row['mean_accept_s'])}  "
            f"平均处置 mean_resolve {_seconds(row['mean_resolve_s'])}  当前超期 overdue_now {row['overdue_now']}")


def case_states(store: HubStore) -> dict[str, int]:
    from hub.cases.repo import count_by_state

    with store.read() as conn:
        return count_by_state(conn)


def _demo_admin_session(store: HubStore, hub_dir: Path) -> str:
    """Sign-in for the demo: its admin - linked to the community's duty officer (指挥中心值班员, a dispatcher), who
    closes cases and reassigns work in the case trails; random password printed on the first start only - and a
    session of the demo's own for what it does over the API (the notices, the control room)."""
    from hub import sample
    from hub.auth.bootstrap import ensure_demo_admin
    from hub.auth.operators import OperatorDirectory

    community = sample_community()
    duty = next(p.id for p in sample.people() if p.unit == community and p.role == "dispatcher")
    directory = OperatorDirectory(store, clock=store.clock)
    admin, password = ensure_demo_admin(directory, community, person_id=duty)
    reset = f"gridline hub operators passwd {admin.username} --data-dir {hub_dir}"
    if password:
        print(f"  sign in   user {admin.username}  password {password}   (shown this once; change it: {reset})",
              flush=True)
    else:
        print(f"  sign in   user {admin.username} (its password was shown on the first start; reset: {reset})",
              flush=True)
    return directory.start_session(admin.id, user_agent="gridline demo").token


def sample_community() -> str:
    from hub import sample

    return next(u["code"] for u in sample.load_raw()["hierarchy"] if u["level"] == "community")


def grid_staff() -> dict[str, GridStaff]:
    """Each sample grid's leader and worker: whom the control room balances work between."""
    from gridline.control_room import GridStaff
    from hub import sample

    people = sample.people()
    staff = {}
    for grid in sample.grids():
        leader = next(p.id for p in people if p.unit == grid.code and p.role == "grid_leader")
        worker = next((p.id for p in people if p.unit == grid.code and p.role == "grid_worker"), None)
        staff[grid.code] = GridStaff(leader, worker)
    return staff


def service_roster() -> str:
    """Who takes the community-service cases in the sample (hub/services): per kind the role it routes to by
    default and how many of the sample's people have it; the disputes' plan leads likewise."""
    from hub import sample
    from hub.services.disputes import DEFAULT_PLANS
    from hub.services.routing import DEFAULT_ROLES, LABELS

    roles = [p.role for p in sample.people()]
    kinds = ", ".join(f"{LABELS[kind][0]} → {role} ×{roles.count(role)}" if role else
                      f"{LABELS[kind][0]} → the control room"
                      for kind, role in DEFAULT_ROLES.items())
    plans = ", ".join(f"{plan.colour} {plan.lead_role} ×{roles.count(plan.lead_role)}" for plan in DEFAULT_PLANS)
    return f"{kinds}; dispute leads: {plans}"


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
    from gridline.audit import audit, case_loop, kiosk_notices
    from gridline.control_room import ControlRoom
    from gridline.join import issue_join_commands, print_join_commands
    from hub import sample
    from hub.org.geojson_io import load_community
    from hub.patrols.sample import load_sample_checkpoints
    from hub.welfare.sample import load_sample_enrolments
    from terminal.simulate import run_simulation

    settings = hub.settings
    store = hub.store
    since = store.clock()  # the demo's period starts here: its KPIs and its loop count the cases opened from now
    loaded = load_community(store, sample.load_raw())  # hierarchy, grids, people, devices, department contacts
    enrolled = load_sample_enrolments(store)  # 1+1+N: empty-nest elderly residents with paired helpers
    checkpoints = load_sample_checkpoints(store)  # 巡查点 with their QR and checklist; the grids' tablets get them
    grids = {g.code: g for g in sample.grids()}
    devices = sample.devices()
    device_ids = {d.id for d in devices}
    producers = [d for d in devices if d.kind in ("kiosk", "tablet")]
    phones = [d for d in devices if d.kind == "phone"]
    community = sample_community()
    print(f"Gridline demo: 福石社区, {len(grids)} grids, {len(devices)} terminals "
          f"(hub holds {loaded.grids} grids, {loaded.people} people, {loaded.devices} device bindings, "
          f"{loaded.department_contacts} department contacts, "
          f"{enrolled} residents newly enrolled in the welfare watch, {checkpoints} patrol checkpoints newly "
          f"defined)", flush=True)
    print(f"  services  {service_roster()}", flush=True)
    print(f"  dashboard {hub.base_url}/app/   (the control room: map, live feed, cases, devices, statistics)",
          flush=True)
    print(f"  hub API   {hub.base_url}/docs   (health: {hub.base_url}/api/health)", flush=True)
    print(f"  broker    {hub.broker_url}   data {data_dir}", flush=True)
    token = _demo_admin_session(store, settings.data_dir)
    first = next(iter(grids))
    leader = next((p.id for p in sample.people() if p.unit == first and p.role == "grid_leader"), None)
    joining = issue_join_commands(settings, store, hub.base_url, data_dir, first, leader)
    print_join_commands(joining)
    joined_ids = {c.device_id for c in joining}

    results: dict[str, SimulationTotals] = {}
    device_root = data_dir / "devices"
    first_grid = next(iter(grids.values()))  # where the staff above the grids stand (their phones only receive)

    def area(d: SampleDevice) -> list:
        return list(grids[d.grid].ring if d.grid else first_grid.ring)

    # One producing fleet (kiosks + tablets, each walking inside its own grid) and one quiet fleet (phones),
    # both on the real terminal core; phones only receive.
    fleets = [
        ("producers", [d.id for d in producers], [area(d) for d in producers], args.rate),
        ("phones", [d.id for d in phones], [area(d) for d in phones], 0.0),
    ]
    # Behind each phone a simulated person takes the tasks the hub sends it (accept, arrive, resolve; verify),
    # one case in hand at a time.
    fleet_options: dict[str, dict[str, Any]] = {
        "phones": {"handle_tasks": True, "task_pace": args.pace, "task_capacity": 1}}
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
    # The control room: the community's duty officer, over the API with the demo's session.
    control = ControlRoom(hub.base_url, token, grid_staff(), patience=10.0 * args.pace)
    control_stop = threading.Event()
    control_thread = threading.Thread(target=control.run, args=(control_stop, min(1.0, max(0.2, args.pace))),
                                      name="demo-control-room", daemon=True)
    control_thread.start()

    try:  # however this part ends (done, Ctrl+C, SIGTERM, an error), the duty officer goes home
        time.sleep(1.0)
        # The welcome notice (网格公告) goes to each grid's kiosk, the terminal that shows notices.
        kiosks = {d.id: d.grid for d in devices if d.kind == "kiosk" and d.grid}
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
                    listed = store.list_devices()
                    rows = [row for row in listed if row.id in device_ids]
                    online = sum(1 for row in rows if row.state == "online")
                    joined = sum(1 for row in listed if row.id in joined_ids and row.state == "online")
                    backlog = sum(row.outbox_depth or 0 for row in rows)
                    delivered = sum(1 for m in notices
                                    if (row := store.get_downlink(m)) and row.state in ("delivered", "read"))
                    closed = case_states(store).get("closed", 0)
                    line = (f"[{now - started:6.0f}s] devices online {online}/{len(devices)}"
                            + (f" (+{joined} joined)" if joined else "") + "  "
                            f"records received {store.count_records()}  backlog {backlog}  "
                            f"notices confirmed {delivered}/{len(notices)}  cases closed {closed}")
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
    finally:
        control_stop.set()
        control_thread.join(15)

    totals = audit({d.id: device_root / d.id for d in devices}, store)
    delivered = sum(1 for m in notices if (row := store.get_downlink(m)) and row.state in ("delivered", "read"))
    # Counted on the kiosks themselves: the notices each one decoded and shows on its notices screen.
    shown = kiosk_notices({i: (device_root / i, grid) for i, grid in kiosks.items()}, set(notices))
    dead = store.count_dead_letters()
    # The background jobs stop first, so nothing moves between the KPIs read over the API and the loop counted
    # from the store (a case filed between the two made them disagree by one on a slow machine); the last steps
    # below run here, once each.
    hub.app.state.jobs.stop()
    hub.app.state.intake.run_once()  # take in the last reports before counting
    services = hub.app.state.jobs.handle("services")  # and the kiosks' last service check-ins (hub/services)
    services.run_once()
    hub.app.state.jobs.handle("actions").run_once()  # and the phones' last actions (a last verify, say)
    try:
        control.step()  # the duty officer closes what was verified at the very end
        kpis = community_kpis(hub.base_url, token, community, since, store.clock() + timedelta(seconds=1))
    except OSError as exc:  # the API did not answer (urllib's errors are OSErrors): the counts below still stand
        kpis = f"kpis: the hub's API did not answer ({exc})"
    opened = hub.app.state.intake.opened
    service_cases = services.desk.opened
    states = case_states(store)
    loop = case_loop(store, since)
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
    print(f"service cases opened from kiosk check-ins (法律咨询 / 矛盾调解 / 报修 / 其他): {service_cases}")
    print("cases by state: " + ("  ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none"))
    work: dict[str, int] = {}
    roles: dict[str, int] = {}
    for sim in results.values():
        for action, n in sim.task_actions.items():
            work[action] = work.get(action, 0) + n
        for role, n in sim.task_roles.items():
            roles[role] = roles.get(role, 0) + n
    print("tasks that reached phones (one per phone and case): "
          + ("  ".join(f"{role} {roles[role]}" for role in ("handler", "verifier", "informed") if role in roles)
             or "none"))
    print("field work done on phones (simulated grid staff): "
          + ("  ".join(f"{k} {v}" for k, v in work.items() if v) or "none yet"))
    print("control room (the community's duty officer, over the API): "
          + ("  ".join(f"{k} {v}" for k, v in sorted(control.done.items()) if v) or "nothing to do"))
    print(kpis)
    print(totals.line("demo"))
    print(loop.line(), flush=True)
    ok = totals.lost == 0 and totals.duplicates == 0 and totals.acked_but_missing == 0
    return 0 if ok and shown.readable == len(notices) else 1
