"""What tests share with everything else on the machine, made safe for parallel runs (pytest-xdist workers,
or two test sessions on one machine): TCP ports for the brokers and hubs a test starts, and the machine's
PostgreSQL, which one fault scenario restarts.

- ``free_port()``: a loopback port nobody else is handed. Picking "any free port" from the kernel and binding
  it later (a child Mosquitto, a hub process) races with every other process doing the same, and with the
  kernel's own choice of source ports for outgoing connections. Ports here come from below the ephemeral range
  (which ``connect()`` never picks from) and each is claimed with a lock file under ``/tmp/gridline-test-ports``
  that this process holds until it exits, so no other worker or session is handed the same one.
- ``postgres_in_use()`` / ``postgres_restart()``: a readers-writer lock across processes (``SharedOrAlone``).
  Every fresh test database is used under a shared hold; restarting PostgreSQL (the ``pg_restart`` fault scenario)
  takes it alone, so it waits for the databases in use elsewhere to be dropped and nobody creates one meanwhile.
  The writer has priority (a turnstile), or a steady stream of tests on other workers would starve it.
- ``run_lock()``: the same kind of lock for the workers of one xdist run: every test holds it shared, the few
  timing-sensitive tests alone (tests/scheduling.py), so that they run while the other workers stand still.
"""
from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "gridline-test-locks"  # machine-wide on purpose: so are ports and PG
PORTS_DIR = Path(tempfile.gettempdir()) / "gridline-test-ports"
PORT_SPAN = 12000


def _lock_file(path: Path) -> int:
    """An fd to flock, for any user: the directory is world-writable (sticky), the file world-readable."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.parent.chmod(0o1777)
        except OSError:
            pass
    return os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)


# -- ports ---------------------------------------------------------------------------------------------------
def _port_range() -> range:
    """``PORT_SPAN`` ports just below the kernel's ephemeral range (32768-60999 by default)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = min(low, 32768)
    return range(max(1024, top - PORT_SPAN), top) if top - PORT_SPAN >= 1024 else range(20000, 20000 + PORT_SPAN)


_held: dict[int, int] = {}  # port -> fd of its lock file, held while this process lives
_ports_lock = threading.Lock()
_rng = random.Random(os.urandom(16))


def _bindable(host: str, port: int) -> bool:
    """Free even for a listener without SO_REUSEADDR: nothing bound, listening, connected or in TIME_WAIT on it."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _kernel_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` now and claimed for this process, so no other test process is handed it."""
    ports = _port_range()
    with _ports_lock:
        start = _rng.randrange(len(ports))
        for i in range(len(ports)):
            port = ports[(start + i) % len(ports)]
            if port in _held:
                continue
            try:
                fd = _lock_file(PORTS_DIR / str(port))
            except OSError:
                break  # no lock directory to share: fall back to the kernel's choice
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # claimed by another process
            if not _bindable(host, port):
                os.close(fd)  # in use by something that does not take part in this: leave it alone
                continue
            _held[port] = fd
            return port
    return _kernel_port(host)


# -- readers-writer locks across processes -------------------------------------------------------------------
class SharedOrAlone:
    """Many processes may hold it shared at once; one holds it alone, once the shared holds in flight are released.
    A process waiting to be alone blocks new shared holds (the turnstile), so a stream of short shared holds on
    other workers cannot starve it. Shared holds nest within a process (one flock for all of them)."""

    def __init__(self, directory: Path, name: str):
        self.directory, self.name = directory, name
        self._mutex = threading.Lock()
        self._shared = 0
        self._fd: int | None = None

    def _files(self) -> tuple[int, int]:
        return _lock_file(self.directory / f"{self.name}.turnstile"), _lock_file(self.directory / f"{self.name}.lock")

    def acquire_shared(self) -> None:
        with self._mutex:
            if self._shared == 0:
                turnstile, fd = self._files()
                try:
                    fcntl.flock(turnstile, fcntl.LOCK_EX)  # queue behind a process waiting to be alone, if any
                    fcntl.flock(fd, fcntl.LOCK_SH)
                finally:
                    os.close(turnstile)
                self._fd = fd
            self._shared += 1

    def release_shared(self) -> None:
        with self._mutex:
            self._shared -= 1
            if self._shared == 0 and self._fd is not None:
                os.close(self._fd)  # closing releases the flock
                self._fd = None

    @contextmanager
    def shared(self):
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()

    @contextmanager
    def alone(self):
        if self._shared:
            raise RuntimeError(f"{self.name}: holding it shared while asking to be alone would deadlock")
        turnstile, fd = self._files()
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX)  # no new shared holds from here on
            fcntl.flock(fd, fcntl.LOCK_EX)  # the ones in flight are released
            yield
        finally:
            os.close(fd)
            os.close(turnstile)


# -- PostgreSQL: shared use vs. a restart ----------------------------------------------------------------------
_postgres = SharedOrAlone(LOCK_DIR, "postgres")


def hold_postgres() -> None:
    """Start using the machine's PostgreSQL (pair with ``release_postgres``); blocks while it is restarted."""
    _postgres.acquire_shared()


def release_postgres() -> None:
    _postgres.release_shared()


def postgres_in_use():
    """Context manager: a shared hold of the machine's PostgreSQL."""
    return _postgres.shared()


def postgres_restart():
    """Context manager: nobody else uses the machine's PostgreSQL (through these locks) while inside."""
    return _postgres.alone()


# -- this test run's workers: tests that need the machine to themselves ---------------------------------------
def run_lock() -> SharedOrAlone | None:
    """Under pytest-xdist, a lock shared by this run's workers (every test holds it shared, a timing-sensitive test
    alone: tests/scheduling.py ``ALONE``); None in a run without workers."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return None
    if run not in _run_locks:
        _run_locks[run] = SharedOrAlone(LOCK_DIR / "runs" / run, "tests")
    return _run_locks[run]


_run_locks: dict[str, SharedOrAlone] = {}
