"""Keep the broker's password and ACL files in step with the device register, without restarting it.

One applier for every path that changes identities (the API, ``gridline hub devices ...`` from another
process): compare a fingerprint of who should get in with what was last written; on a change write both
files atomically and ask the broker to reload (SIGHUP to a pid, or a command such as
``systemctl reload mosquitto``). Mosquitto 2 drops connected clients that no longer authenticate on that
reload, so a revoked device is cut off one sync period (default 5 s) after the revocation at most.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hub.devices.identities import DeviceRegistry
from hub.devices.mosquitto_auth import BrokerAccount, acl_file, mosquitto_hash, password_file
from hub.store.files import write_atomically
from protocol import parse_broker_url

log = logging.getLogger(__name__)

PASSWORD_FILE, ACL_FILE = "passwd", "acl"


def signal_pid_file(pid_file: Path) -> Callable[[], None]:
    def reload() -> None:
        os.kill(int(Path(pid_file).read_text().strip()), signal.SIGHUP)
    return reload


def run_command(command: str) -> Callable[[], None]:
    def reload() -> None:
        subprocess.run(shlex.split(command), check=True, timeout=30, capture_output=True)
    return reload


def reloader_from_settings(settings) -> Callable[[], None] | None:
    if settings.broker_reload_pid_file:
        return signal_pid_file(settings.broker_reload_pid_file)
    if settings.broker_reload_command:
        return run_command(settings.broker_reload_command)
    return None


class BrokerAuthSync:
    def __init__(self, registry: DeviceRegistry, auth_dir: Path | str, hub_username: str, hub_password: str,
                 reload: Callable[[], None] | None = None, interval_s: float = 5.0):
        if not hub_username or not hub_password:
            raise ValueError("managing broker accounts needs the hub's own user:password in its broker URL")
        self.registry = registry
        self.auth_dir = Path(auth_dir)
        self.hub_username, self._hub_password = hub_username, hub_password
        self.reload = reload
        self.interval_s = interval_s
        self.applied: str | None = None  # fingerprint last written and reloaded
        self.applies = 0
        self.last_error: str | None = None
        self._wake = threading.Event()

    @classmethod
    def from_settings(cls, settings, registry: DeviceRegistry) -> BrokerAuthSync:
        address = parse_broker_url(settings.broker_url)
        return cls(registry, settings.broker_auth_dir, address.username or "", address.password or "",
                   reloader_from_settings(settings), settings.broker_auth_sync_s)

    @property
    def password_file(self) -> Path:
        return self.auth_dir / PASSWORD_FILE

    @property
    def acl_file(self) -> Path:
        return self.auth_dir / ACL_FILE

    def _fingerprint(self, accounts: list[BrokerAccount]) -> str:
        digest = hashlib.sha256(f"{self.hub_username}\0{self._hub_password}\n".encode())
        for account in accounts:
            digest.update(f"{account.username}\0{account.password_hash}\n".encode())
        return digest.hexdigest()

    def sync_once(self, force: bool = False) -> bool:
        """Write and reload if who-may-connect changed (or ``force``); True when it did."""
        accounts = self.registry.broker_accounts()
        fingerprint = self._fingerprint(accounts)
        if fingerprint == self.applied and not force:
            return False
        hub = BrokerAccount(self.hub_username, mosquitto_hash(self._hub_password))
        # The broker runs as its own user and must read these; nobody else needs to.
        write_atomically(self.password_file, password_file([hub, *accounts]), mode=0o640)
        write_atomically(self.acl_file, acl_file(self.hub_username), mode=0o640)
        if self.reload is not None:
            self.reload()
        self.applied = fingerprint
        self.applies += 1
        log.info("broker accounts applied: hub + %d device(s)", len(accounts))
        return True

    def wake(self) -> None:
        """Apply now rather than at the next period (after an API change)."""
        self._wake.set()

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.sync_once()
                self.last_error = None
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("applying broker accounts failed")
            self._pause(stop)

    def _pause(self, stop: threading.Event) -> None:
        """Until the period ends, a ``wake`` or ``stop`` (checked often: the hub's shutdown waits for us)."""
        deadline = time.monotonic() + self.interval_s
        while not stop.is_set() and not self._wake.is_set() and time.monotonic() < deadline:
            self._wake.wait(min(0.2, max(0.0, deadline - time.monotonic())))
        self._wake.clear()
