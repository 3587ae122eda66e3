"""Headless fleet simulator: N real ``Device`` objects producing a realistic record mix.

Each device produces ``rate`` records per second in total (all kinds together), with roughly
10% incident reports (0-3 synthetic photos each), 15% resident check-ins and the rest patrol
positions. Patrols walk a loop at walking pace, either around a base point (default: Xiangzhou,
Zhuhai) or inside given grid polygons (GeoJSON rings, ``[lon, lat]`` pairs), one per device in turn.

Totals are read from the devices' stores at the end, so they cover everything in the data
directory: re-running on the same directory resumes the old outboxes and counts them too.
"""
from __future__ import annotations

import heapq
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol import CheckinKind, Severity, topics
from terminal.device import Device
from terminal.fieldwork import PAUSES, FieldWorker
from terminal.photos import synthetic_photo
from terminal.schema import CorruptStoreError

log = logging.getLogger(__name__)

XIANGZHOU = (22.25, 113.53)  # (lat, lon)
# How urgent residents say their reports are: an urgent one alarms the control room and informs every level up to
# the city at once, so (as in life) it is rare.
SEVERITY_WEIGHTS = {Severity.LOW: 20, Severity.NORMAL: 64, Severity.HIGH: 13, Severity.URGENT: 3}
KIND_WEIGHTS = {"report": 0.10, "checkin": 0.15, "position": 0.75}
# (category code from the default CJ/T 214-style taxonomy, a note a grid worker would write)
REPORTS = [("E0101", "楼道口垃圾堆放"), ("C0110", "路灯不亮"), ("C0101", "井盖松动"), ("E0501", "占道经营"),
           ("E0404", "积水严重"), ("E0504", "消防通道被占用"), ("E0505", "电动车乱停放"), ("E0201", "")]
SIMULATOR_KEY = "gridline-simulator-deployment-key"
WALKING_MPS = 1.4
M_PER_DEG_LAT = 111_320.0

Ring = Sequence[Sequence[float]]  # GeoJSON polygon outer ring: [[lon, lat], ...]
PositionSource = Callable[[int, float], tuple[float, float]]  # (device index, seconds walked) -> (lat, lon)


class PatrolRoute:
    """A closed loop of (lat, lon) waypoints walked at constant speed."""

    def __init__(self, waypoints: Sequence[tuple[float, float]], speed_mps: float = WALKING_MPS):
        if len(waypoints) < 2:
            raise ValueError("a route needs at least two waypoints")
        self.points = list(waypoints) + [waypoints[0]]
        self.speed = speed_mps
        self.legs = [_metres(a, b) for a, b in zip(self.points, self.points[1:], strict=False)]
        self.length = sum(self.legs) or 1.0

    def at(self, elapsed_s: float) -> tuple[float, float, float]:
        """(lat, lon, heading in degrees) after walking for ``elapsed_s``."""
        distance = (elapsed_s * self.speed) % self.length
        for (a, b), leg in zip(zip(self.points, self.points[1:], strict=False), self.legs, strict=True):
            if distance <= leg and leg > 0:
                t = distance / leg
                lat, lon = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
                return lat, lon, _heading(a, b)
            distance -= leg
        return self.points[0][0], self.points[0][1], 0.0


def route_around(base: tuple[float, float], rng: random.Random, radius_m: float = 300.0) -> PatrolRoute:
    """An irregular loop of 6-9 waypoints within ``radius_m`` of a point near ``base``."""
    centre = _offset(base, rng.uniform(-radius_m, radius_m), rng.uniform(-radius_m, radius_m))
    n = rng.randint(6, 9)
    points = [_offset(centre, r * math.cos(a), r * math.sin(a))
              for a, r in ((2 * math.pi * i / n, rng.uniform(0.4, 1.0) * radius_m) for i in range(n))]
    return PatrolRoute(points)


def route_in_polygon(ring: Ring) -> PatrolRoute:
    """Walk the polygon's outline pulled 15% toward its centre, so fixes fall inside the grid."""
    pts = [(float(lat), float(lon)) for lon, lat, *_ in ring]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    c_lat, c_lon = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return PatrolRoute([(c_lat + (lat - c_lat) * 0.85, c_lon + (lon - c_lon) * 0.85) for lat, lon in pts])


def _offset(origin: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lat, lon = origin
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: exact enough over a neighbourhood patrol."""
    north = (b[0] - a[0]) * M_PER_DEG_LAT
    east = (b[1] - a[1]) * M_PER_DEG_LAT * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(north, east)


def _heading(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = b[0] - a[0]
    east = (b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.degrees(math.atan2(east, north)) % 360


@dataclass
class KindTotals:
    created: int = 0
    acknowledged: int = 0
    pending: int = 0
    rejected: int = 0
    thinned: int = 0


@dataclass
class SimulationTotals:
    per_kind: dict[str, KindTotals] = field(default_factory=dict)
    created_this_run: int = 0
    photos: dict[str, int] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)
    drained: bool = False
    task_actions: dict[str, int] = field(default_factory=dict)  # simulated field work: action → count
    task_roles: dict[str, int] = field(default_factory=dict)  # tasks that reached the phones: role → (phone, case)s
    corrupt_stores: list[str] = field(default_factory=list)  # devices left out: their database failed its check

    @property
    def created(self) -> int:
        return sum(k.created for k in self.per_kind.values())

    @property
    def acknowledged(self) -> int:
        return sum(k.acknowledged for k in self.per_kind.values())

    @property
    def pending(self) -> int:
        return sum(k.pending for k in self.per_kind.values())

    def summary_line(self) -> str:
        return f"simulate: created={self.created} acknowledged={self.acknowledged} pending={self.pending}"


class SimulatedPatrol:
    """One device and the person carrying it."""

    def __init__(self, index: int, device: Device, rng: random.Random, route: PatrolRoute | None,
                 position_source: PositionSource | None, started: float):
        self.index, self.device, self.rng = index, device, rng
        self.route, self.position_source, self.started = route, position_source, started
        self.residents = [f"4404{rng.randint(10**13, 10**14 - 1)}" for _ in range(20)]

    def where(self) -> tuple[float, float, float | None]:
        elapsed = time.monotonic() - self.started
        if self.position_source is not None:
            lat, lon = self.position_source(self.index, elapsed)
            return lat, lon, None
        assert self.route is not None  # run_simulation() gives a route to every patrol without a position source
        lat, lon, heading = self.route.at(elapsed)
        return lat, lon, heading

    def produce_one(self) -> str:
        kind = self.rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        lat, lon, heading = self.where()
        accuracy = round(self.rng.uniform(3, 25), 1)
        if kind == "report":
            photos = [synthetic_photo(self.rng.randrange(1 << 30)) for _ in range(self.rng.randint(0, 3))]
            category, note = self.rng.choice(REPORTS)
            severity = self.rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
            self.device.report(category, lat, lon, accuracy_m=accuracy, note=note, severity=severity, photos=photos)
        elif kind == "checkin":
            self.device.checkin(self.rng.choice(list(CheckinKind)), card_number=self.rng.choice(self.residents),
                                lat=lat, lon=lon, accuracy_m=accuracy)
        else:
            self.device.position(lat, lon, accuracy_m=accuracy, speed_mps=WALKING_MPS if heading is not None else None,
                                 heading_deg=heading % 360 if heading is not None else None)
        return kind


def device_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix.lower()}-{i:03d}" for i in range(count)]


def run_simulation(broker_url: str, data_dir: Path | str, *, count: int = 3, rate: float = 1.0,
                   duration: float | None = 10.0, device_prefix: str = "sim", seed: int = 0,
                   drain_timeout: float = 60.0, base: tuple[float, float] = XIANGZHOU,
                   areas: Sequence[Ring] | None = None, position_source: PositionSource | None = None,
                   device_options: dict[str, Any] | None = None, ids: Sequence[str] | None = None,
                   stop_event: threading.Event | None = None, handle_tasks: bool = False,
                   task_pace: float = 1.0, task_capacity: int | None = None) -> SimulationTotals:
    """Run ``count`` devices (or the devices named by ``ids``) for ``duration`` seconds (``None``: until
    ``stop_event`` is set) at ``rate`` records/s each (0: devices that only receive), then wait up to
    ``drain_timeout`` for the hub's receipts. With ``handle_tasks`` a simulated person behind each device
    takes the tasks the hub dispatches to it (:mod:`terminal.fieldwork`), pausing ``task_pace`` times a person's
    usual time before each step and holding at most ``task_capacity`` cases at once (None: no limit). Returns
    totals read from the devices' stores."""
    ids = list(ids) if ids is not None else device_ids(device_prefix, count)
    if not ids or rate < 0 or (duration is not None and duration < 0) or (duration is None and stop_event is None):
        raise ValueError("need at least one device, rate >= 0, and duration >= 0 or a stop_event")
    for device_id in ids:
        if not topics.valid_device_id(device_id):
            raise ValueError(f"device id {device_id!r} does not match {topics.DEVICE_ID_PATTERN}")
    data_dir = Path(data_dir)
    options = {"deployment_key": SIMULATOR_KEY, **(device_options or {})}
    devices, corrupt = [], []
    for device_id in ids:
        try:
            devices.append(Device(device_id, data_dir / device_id, broker_url, **options))
        except CorruptStoreError as exc:  # one damaged terminal must not keep the rest of the fleet offline
            log.error("%s left out: %s", device_id, exc)
            corrupt.append(device_id)
    if not devices:
        raise CorruptStoreError(data_dir, f"every device database is corrupt: {', '.join(corrupt)}")
    totals = SimulationTotals(devices=[d.device_id for d in devices], corrupt_stores=corrupt)
    started = time.monotonic()
    patrols = []
    for i, device in enumerate(devices):
        rng = random.Random(f"{seed}-{device.device_id}")
        area = ids.index(device.device_id)  # the device's own area, also when a corrupt one was left out
        route = None if position_source else (route_in_polygon(areas[area % len(areas)]) if areas
                                              else route_around(base, rng))
        patrols.append(SimulatedPatrol(i, device, rng, route, position_source, started))
    stop = stop_event or threading.Event()
    workers = [FieldWorker(d, random.Random(f"{seed}-work-{d.device_id}"), pace=task_pace, capacity=task_capacity)
               for d in devices] if handle_tasks else []
    worker_stop = threading.Event()
    worker_thread = threading.Thread(target=_work, args=(workers, worker_stop), name="sim-fieldwork", daemon=True)
    try:
        for device in devices:
            device.start()
        if workers:
            worker_thread.start()
        totals.created_this_run = _produce(patrols, rate, duration, stop)
        # The simulated people stop before the drain, not after it: an action made once every outbox looked empty
        # was sent, stored by the hub, and its device stopped before the receipt came (acknowledged < stored).
        worker_stop.set()
        if worker_thread.is_alive():
            worker_thread.join(10)
        deadline = time.monotonic() + drain_timeout
        while time.monotonic() < deadline and not all(d.engine.drained() for d in devices):
            time.sleep(0.2)
    finally:
        worker_stop.set()
        if worker_thread.is_alive():
            worker_thread.join(10)
        _collect(totals, devices)
        totals.task_actions = {a.value: sum(w.done[a] for w in workers) for a in PAUSES} if workers else {}
        for worker in workers:
            for _, role in worker.seen:
                totals.task_roles[role] = totals.task_roles.get(role, 0) + 1
        for device in devices:
            device.stop()
    return totals


def _work(workers: list[FieldWorker], stop: threading.Event) -> None:
    while not stop.wait(0.5):
        for worker in workers:
            try:
                worker.step()
            except Exception:
                log.exception("simulated field worker on %s failed a step", worker.device.device_id)


def _produce(patrols: list[SimulatedPatrol], rate: float, duration: float | None, stop: threading.Event) -> int:
    """Round-robin on a schedule: each device's next record is due 1/rate s (±20%) after its last."""
    start = time.monotonic()
    end = start + duration if duration is not None else math.inf
    if rate == 0:  # receive-only devices: stay connected until the end
        stop.wait(None if duration is None else duration)
        return 0
    interval = 1.0 / rate
    due = [(start + p.rng.uniform(0, interval), p.index) for p in patrols]
    heapq.heapify(due)
    produced = 0
    while due and not stop.is_set():
        when, index = heapq.heappop(due)
        if when >= end:
            break
        if stop.wait(max(0.0, when - time.monotonic())):
            break
        patrol = patrols[index]
        patrol.produce_one()
        produced += 1
        heapq.heappush(due, (when + interval * patrol.rng.uniform(0.8, 1.2), index))
    if end != math.inf:
        stop.wait(max(0.0, end - time.monotonic()))
    return produced


def _collect(totals: SimulationTotals, devices: list[Device]) -> None:
    totals.per_kind = {kind: KindTotals() for kind in KIND_WEIGHTS}
    for device in devices:
        for kind, states in device.store.counts().items():
            t = totals.per_kind.setdefault(kind, KindTotals())
            t.created += sum(states.values())
            t.acknowledged += states["acked"]
            t.pending += states["pending"] + states["sent"]
            t.rejected += states["rejected"]
            t.thinned += states["thinned"]
        for state, n in device.store.photo_states().items():
            totals.photos[state] = totals.photos.get(state, 0) + n
    totals.drained = all(t.pending == 0 for t in totals.per_kind.values()) and \
        not totals.photos.get("pending") and not totals.photos.get("uploaded")
