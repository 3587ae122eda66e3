"""``gridline hub serve --workers N``: N hub worker processes behind one API address and one MQTT share group.

The parent binds the API socket once and every worker accepts on it (what gunicorn and uvicorn's own supervisor
do), so a load balancer or the control room needs one address. Each worker is a whole hub (bridge, jobs, API) with
client id ``<client_id>-w<slot>`` in the share group (``share_group``, default the client id), so uplinks are
split between them by the broker; everything that must run once is already serialised by cluster locks
(docs/scaling.md §3). The parent holds no database or broker connection: it only starts, watches and stops.

- A worker that dies is started again in its slot: after 1 s, doubling (to 30 s) while it keeps dying within a
  minute of starting. Devices re-send what got no receipt, so a crash loses nothing.
- A slot whose worker never came up ``STARTUP_ATTEMPTS`` times in a row stops the whole pool with exit code 1: a
  wrong URL or password should fail loudly, not loop silently.
- SIGTERM / SIGINT stop every worker gracefully (uvicorn's shutdown: the bridge commits, acks and disconnects),
  then SIGKILL what is still running after ``stop_timeout_s``. Workers die with the parent (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hub.mqtt.embedded_broker import terminate_with_parent
from hub.settings import HubSettings

log = logging.getLogger(__name__)

STARTUP_ATTEMPTS = 3
RESTART_DELAY_S = (1.0, 30.0)  # first delay, cap
STABLE_AFTER_S = 60.0  # a worker that ran this long before dying restarts after the first delay again
READY = b"ready\n"


class PoolConfigError(ValueError):
    """Settings that cannot run several workers; the message says what to change."""


def check_pool_settings(settings: HubSettings, workers: int) -> str:
    """The share group for ``workers`` workers, or PoolConfigError. Also validates every worker's client id."""
    if workers < 2:
        raise PoolConfigError("a pool needs at least 2 workers; one worker is plain `gridline hub serve`")
    if settings.broker_url == "embedded":
        raise PoolConfigError("--workers needs an external broker with MQTT 5 shared subscriptions (Mosquitto 2, "
                              "EMQX); the embedded broker is for one-process demos")
    if settings.db_url.startswith("sqlite"):
        raise PoolConfigError("--workers needs PostgreSQL (--db postgresql://...): SQLite has one writer, so run "
                              "one worker on it")
    group = settings.share_group or settings.client_id.replace(".", "-")
    try:
        for slot in range(workers):
            HubSettings(client_id=worker_client_id(settings, slot), share_group=group, db_url=settings.db_url)
    except ValidationError as exc:
        raise PoolConfigError(f"the workers' client ids or share group are not valid: {exc}") from exc
    return group


def worker_client_id(settings: HubSettings, slot: int) -> str:
    return f"{settings.client_id}-w{slot}"


@dataclass
class _Slot:
    index: int
    proc: subprocess.Popen | None = None
    ready_fd: int | None = None  # read end of the worker's readiness pipe until it reports
    ready: bool = False
    started_at: float = 0.0
    restart_at: float | None = None
    delay_s: float = RESTART_DELAY_S[0]
    failed_starts: int = 0


class WorkerPool:
    def __init__(self, settings: HubSettings, workers: int, *, log_level: str = "WARNING", log_format: str = "text",
                 stop_timeout_s: float = 30.0):
        self.settings, self.workers, self.log_level, self.log_format = settings, workers, log_level, log_format
        self.group = check_pool_settings(settings, workers)
        self.stop_timeout_s = stop_timeout_s
        self.slots = [_Slot(i) for i in range(workers)]
        self._stopping = False
        self._sock: socket.socket | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def run(self) -> int:
        self._sock = _listen(self.settings.http_host, self.settings.http_port)
        host, port = self._sock.getsockname()[:2]
        log.warning("hub pool: %d workers on http://%s:%s, share group %r", self.workers, host, port, self.group)
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        code = 0
        try:
            for slot in self.slots:
                self._start(slot)
            while not self._stopping:
                if not self._watch():
                    code = 1
                    break
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._sock.close()
        return code

    def _on_signal(self, signum, frame) -> None:
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        assert self._sock is not None, "run() binds the socket before starting workers"
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "GRIDLINE_BROKER_URL": self.settings.broker_url, "GRIDLINE_DB_URL": self.settings.db_url,
               "GRIDLINE_DATA_DIR": str(self.settings.data_dir), "GRIDLINE_SHARE_GROUP": self.group,
               "GRIDLINE_CLIENT_ID": worker_client_id(self.settings, slot.index)}
        argv = [sys.executable, "-m", "gridline", "--log-level", self.log_level, "--log-format", self.log_format,
                "hub", "serve",
                "--listen-fd", str(self._sock.fileno()), "--ready-fd", str(write_fd)]
        try:
            proc = slot.proc = subprocess.Popen(argv, env=env, pass_fds=(self._sock.fileno(), write_fd))
        finally:
            os.close(write_fd)  # the worker holds the only write end: EOF on read = it died
        slot.ready_fd, slot.ready, slot.started_at, slot.restart_at = read_fd, False, time.monotonic(), None
        log.warning("hub pool: worker %d starting (pid %d)", slot.index, proc.pid)

    def _watch(self) -> bool:
        """One turn of the supervision loop; False = give up (a worker cannot start)."""
        waiting = {s.ready_fd: s for s in self.slots if s.ready_fd is not None}
        if waiting:
            readable = select.select(list(waiting), [], [], 0.2)[0]
        else:
            readable = []
            time.sleep(0.2)
        for fd in readable:
            self._read_ready(waiting[fd])
        now = time.monotonic()
        for slot in self.slots:
            if slot.proc is not None and slot.proc.poll() is not None and not self._stopping:
                if not self._died(slot, now):
                    return False
            if slot.proc is None and slot.restart_at is not None and now >= slot.restart_at and not self._stopping:
                self._start(slot)
        return True

    def _read_ready(self, slot: _Slot) -> None:
        assert slot.ready_fd is not None and slot.proc is not None  # a started worker we wait on
        data = os.read(slot.ready_fd, len(READY))
        os.close(slot.ready_fd)
        slot.ready_fd = None
        if data == READY:
            slot.ready, slot.failed_starts = True, 0
            log.warning("hub pool: worker %d ready (pid %d)", slot.index, slot.proc.pid)

    def _died(self, slot: _Slot, now: float) -> bool:
        proc = slot.proc
        assert proc is not None  # only a started worker dies
        code = proc.returncode
        if slot.ready_fd is not None:
            os.close(slot.ready_fd)
            slot.ready_fd = None
        if not slot.ready:
            slot.failed_starts += 1
            if slot.failed_starts >= STARTUP_ATTEMPTS:
                log.error("hub pool: worker %d failed to start %d times (last exit code %s); stopping the pool",
                          slot.index, slot.failed_starts, code)
                slot.proc = None
                return False
        ran_s = now - slot.started_at
        if ran_s >= STABLE_AFTER_S:
            slot.delay_s = RESTART_DELAY_S[0]
        delay, slot.delay_s = slot.delay_s, min(slot.delay_s * 2, RESTART_DELAY_S[1])
        log.error("hub pool: worker %d (pid %d) exited with %s after %.0f s; restarting in %.0f s",
                  slot.index, proc.pid, code, ran_s, delay)
        slot.proc, slot.restart_at = None, now + delay
        return True

    def _stop_all(self) -> None:
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("hub pool: worker pid %d did not stop in %.0f s; killing it", proc.pid, self.stop_timeout_s)
                proc.kill()
                proc.wait()
        for slot in self.slots:
            if slot.ready_fd is not None:
                os.close(slot.ready_fd)
                slot.ready_fd = None


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


# -- the worker side -------------------------------------------------------------------------------------------
def die_with_parent() -> None:
    """Linux: SIGTERM this worker when the pool's process dies, even by SIGKILL (no orphaned hubs)."""
    terminate_with_parent()
    if os.getppid() == 1:  # the parent died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def serve_worker(app, listen_fd: int, ready_fd: int | None, **uvicorn_options: Any) -> None:
    """Run ``app`` on the pool's inherited socket; write READY to ``ready_fd`` once the hub has started."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started and ready_fd is not None:
                os.write(ready_fd, READY)
                os.close(ready_fd)

    sock = socket.socket(fileno=listen_fd)
    _Server(uvicorn.Config(app, log_level="info", lifespan="on", **uvicorn_options)).run(sockets=[sock])
