"""Doorbells across hub workers: PostgreSQL ``LISTEN``/``NOTIFY`` on one channel.

A ring (``Doorbell.ring``, after the commit it follows) is handed to this worker's sender thread, which sends
``pg_notify('gridline_wakeup', '<worker id> <bell>[,<bell>...]')`` on a connection of its own. Rings are
coalesced: names rung while a notification is in flight (or while PostgreSQL is away) go out together in the
next one, so a burst of commits is never a burst of notifications (at most one per bell per send).

Each worker's listener thread holds one autocommit connection with ``LISTEN`` and rings its local bells
(``ring_here``: never re-sent, so there is no ping-pong) for notifications from other workers; its own come
back too and are ignored by worker id. While the listener is connected the jobs' fallback poll is a long
safety net (``job_listening_poll_s``); when PostgreSQL goes away (restart, ``pg_terminate_backend``) the
listener rings every bell - so the jobs look now and go back to the short ``job_fallback_poll_s`` - and
reconnects with backoff; on (re)connecting it rings them all again for what it may have missed meanwhile.
SQLite has one worker and no relay.
"""
from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from hub.jobs.wakeup import Doorbell

log = logging.getLogger(__name__)

CHANNEL = "gridline_wakeup"
LISTEN_TICK_S = 1.0  # the listener checks its stop flag this often (stop also sends it a wake-up)
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.1, 5.0
# A silently dead server (no RST) is noticed by TCP keepalives, not by idle queries.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


def libpq_url(db_url: str) -> str:
    """The store's SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq URI for ``psycopg.connect``."""
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


class NotifyRelay:
    """One worker's sender and listener. ``bell(name)`` makes a doorbell whose rings reach all workers."""

    def __init__(self, db_url: str, *, listening_poll_s: float, worker_id: str | None = None):
        self.conninfo = libpq_url(db_url)
        self.listening_poll_s = listening_poll_s
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.bells: dict[str, Doorbell] = {}
        self.sender_bell = Doorbell("wakeup-notify")  # rung by publish; JobRunner.stop rings it too
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        self._listening = threading.Event()
        self.listener_pid: int | None = None  # backend pids of the two connections (tests terminate them)
        self.sender_pid: int | None = None
        self.sent = self.received = self.ignored_own = self.connects = self.send_failures = 0

    def bell(self, name: str) -> Doorbell:
        self.bells[name] = Doorbell(name, relay=self)
        return self.bells[name]

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def publish(self, name: str) -> None:
        """Queue ``name`` for the next notification (called on the ringing thread: must stay quick)."""
        with self._pending_lock:
            self._pending.add(name)
        self.sender_bell.ring_here()

    # -- sender ------------------------------------------------------------------------------------------
    def notify_forever(self, stop: threading.Event) -> None:
        conn: psycopg.Connection | None = None
        backoff = BACKOFF_FIRST_S
        try:
            while not stop.is_set():
                with self._pending_lock:
                    names, self._pending = self._pending, set()
                if names:
                    try:
                        if conn is None:
                            conn = self._connect("notify")
                            self.sender_pid = conn.info.backend_pid
                        self._send(conn, ",".join(sorted(names)))
                        self.sent += 1
                        backoff = BACKOFF_FIRST_S
                    except Exception as exc:  # noqa: BLE001 - psycopg.OperationalError mostly
                        self.send_failures += 1
                        log.warning("wake-up notification failed (%s); retrying in %.1f s", exc, backoff)
                        with self._pending_lock:
                            self._pending |= names  # kept, still coalesced with newer rings
                        _closed(conn)
                        conn = None
                        stop.wait(backoff)
                        backoff = min(backoff * 2, BACKOFF_MAX_S)
                        continue
                self.sender_bell.wait(LISTEN_TICK_S)
            if conn is not None:
                self._send(conn, "")  # our own listener wakes from its wait and sees the stop flag
        except Exception:  # noqa: BLE001
            pass  # shutting down: the listener stops at its next tick instead
        finally:
            _closed(conn)

    def _send(self, conn: psycopg.Connection, names: str) -> None:
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{self.worker_id} {names}"))

    # -- listener ----------------------------------------------------------------------------------------
    def listen_forever(self, stop: threading.Event) -> None:
        backoff = BACKOFF_FIRST_S
        while not stop.is_set():
            conn = None
            try:
                conn = self._connect("listen")
                conn.execute(f"LISTEN {CHANNEL}")
                self.listener_pid = conn.info.backend_pid
                self.connects += 1
                self._ring_all()  # LISTEN is on: look now for whatever was committed while we were not listening
                self._listening.set()
                backoff = BACKOFF_FIRST_S
                while not stop.is_set():
                    for note in conn.notifies(timeout=LISTEN_TICK_S):
                        self._heard(note.payload)
                        if stop.is_set():
                            break
            except Exception as exc:  # noqa: BLE001 - psycopg.OperationalError mostly; the thread must live on
                if stop.is_set():
                    break
                log.warning("wake-up listener lost PostgreSQL (%s); short polls until it is back, retry in "
                            "%.1f s", exc, backoff)
            finally:
                was_listening = self.listening
                self._listening.clear()
                _closed(conn)
                if was_listening and not stop.is_set():
                    self._ring_all()  # jobs sleeping on the long poll look now and go back to the short one
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _heard(self, payload: str) -> None:
        worker, _, names = payload.partition(" ")
        if worker == self.worker_id:
            self.ignored_own += 1
            return
        if not names:
            return  # another worker's shutdown wake-up for its own listener
        self.received += 1
        for name in names.split(","):
            bell = self.bells.get(name)
            if bell is not None:  # a newer worker may ring bells this one does not have
                bell.ring_here()

    def _ring_all(self) -> None:
        for bell in self.bells.values():
            bell.ring_here()

    def _connect(self, role: str) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                               application_name=f"gridline-wakeup-{role}:{self.worker_id}", **KEEPALIVES)


def _closed(conn: psycopg.Connection[Any] | None) -> None:
    """Close ``conn`` if there is one (a broken connection may fail to close: it is dropped either way)."""
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
            pass
    return None
