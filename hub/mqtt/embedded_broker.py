"""A managed MQTT broker for single-machine use (demo, tests, a small site without a broker).

Prefers a Mosquitto child process with a config generated here (persistence on, no queue
limit: Mosquitto's default ``max_queued_messages 1000`` silently drops QoS 1 messages for
slow or offline clients). Without ``mosquitto`` on PATH it falls back to ``iotcore``
(rumqttd) on loopback: no ACLs, no persistence, which is acceptable only because no-loss
rests on the terminal outbox and hub receipts, not on the broker.
"""
from __future__ import annotations

import ctypes
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker did not listen on {host}:{port} within {timeout}s")


@dataclass(frozen=True)
class BrokerAuth:
    """Per-device accounts: the files the hub writes (hub/devices/broker_sync.py); anonymous refused."""

    password_file: Path
    acl_file: Path


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener next to the plain one (``mqtts://``); ``cafile`` also checks client certificates
    when ``require_certificate``."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None
    port: int | None = None
    require_certificate: bool = False


def _listener_options(auth: BrokerAuth | None) -> list[str]:
    # client id := account name, so a device cannot take over (and read) another device's session.
    return ["use_username_as_clientid true"] if auth else []


def mosquitto_config(port: int, data_dir: Path, host: str = "127.0.0.1", extra: str = "", *,
                     auth: BrokerAuth | None = None, tls: BrokerTls | None = None, tls_port: int | None = None) -> str:
    lines = [f"listener {port} {host}", *_listener_options(auth)]
    if tls is not None:
        lines += [f"listener {tls_port} {host}", f"certfile {tls.certfile}", f"keyfile {tls.keyfile}",
                  *([f"cafile {tls.cafile}"] if tls.cafile else []),
                  f"require_certificate {'true' if tls.require_certificate else 'false'}",
                  *_listener_options(auth)]
    if auth is not None:
        lines += ["allow_anonymous false", f"password_file {auth.password_file}", f"acl_file {auth.acl_file}"]
    else:
        lines.append("allow_anonymous true")
    return "\n".join(
        [
            *lines,
            "persistence true",
            f"persistence_location {data_dir}/",
            "autosave_interval 5",
            # 0 = unlimited: never drop queued QoS 1 messages for a slow or offline session.
            "max_queued_messages 0",
            "max_queued_bytes 0",
            # the hub acks after its DB commit: a deep window lets one batch carry hundreds of messages
            "max_inflight_messages 1000",
            "message_size_limit 1048576",
            f"log_dest file {data_dir}/mosquitto.log",
            "log_type error",
            "log_type warning",
            "log_type notice",
            # mosquitto started as root drops to user "mosquitto"; stay as whoever owns the data dir.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            extra,
            "",
        ]
    )


IOTCORE_TOML = """id = 0
[router]
id = 0
max_connections = 20000
max_outgoing_packet_count = 1000
max_segment_size = 104857600
max_segment_count = 10

[v5.1]
name = "gridline-v5"
listen = "{host}:{port}"
next_connection_delay_ms = 1
[v5.1.connections]
connection_timeout_ms = 60000
max_payload_size = 1048576
max_inflight_count = 200
"""



def terminate_with_parent() -> None:
    """Linux: have the kernel SIGTERM this process when the thread that started it goes, even by SIGKILL (a
    killed demo or hub leaves no broker behind). Called in the child before exec, or by a worker itself."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return


class ManagedBroker:
    """Start, stop, restart or kill a loopback broker owned by this process."""

    def __init__(self, data_dir: Path | str, port: int | None = None, engine: str = "auto",
                 host: str = "127.0.0.1", extra_config: str = "", auth: BrokerAuth | None = None,
                 tls: BrokerTls | None = None):
        if engine == "auto":
            engine = "mosquitto" if shutil.which("mosquitto") else "iotcore"
        if engine not in ("mosquitto", "iotcore"):
            raise ValueError(f"unknown broker engine {engine!r}")
        self.engine = engine
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = Path(data_dir)
        self.extra_config = extra_config
        if (auth or tls) and engine != "mosquitto":
            raise ValueError("accounts, ACLs and TLS need the mosquitto engine")
        self.auth, self.tls = auth, tls
        self.tls_port = (tls.port or free_port(host)) if tls else None
        self._process: subprocess.Popen[bytes] | None = None
        self._iotcore: Any = None  # iotcore.Broker (optional dependency: demos without mosquitto)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def tls_url(self) -> str:
        if self.tls_port is None:
            raise RuntimeError("this broker has no TLS listener")
        return f"mqtts://{self.host}:{self.tls_port}"

    @property
    def pid_file(self) -> Path:
        """Written at start, for whoever reloads the broker's accounts (``broker_reload_pid_file``)."""
        return self.data_dir / "mosquitto.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "mosquitto.log"

    @property
    def running(self) -> bool:
        if self._iotcore is not None:
            return self._iotcore.is_running
        return self._process is not None and self._process.poll() is None

    def start(self) -> ManagedBroker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.engine == "mosquitto":
            conf = self.data_dir / "mosquitto.conf"
            conf.write_text(mosquitto_config(self.port, self.data_dir.resolve(), self.host, self.extra_config,
                                             auth=self.auth, tls=self.tls, tls_port=self.tls_port))
            self._process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                             preexec_fn=terminate_with_parent,
                                             stderr=subprocess.PIPE)
            self.pid_file.write_text(f"{self._process.pid}\n")
            try:
                wait_for_port(self.host, self.port)
                if self.tls_port:
                    wait_for_port(self.host, self.tls_port)
            except RuntimeError:
                died = self._process.stderr is not None and self._process.poll() is not None
                err = self._process.stderr.read().decode() if died and self._process.stderr else ""
                self.stop()
                raise RuntimeError(f"mosquitto failed to start: {err.strip()}") from None
        else:
            from iotcore import Broker

            conf = self.data_dir / "iotcore.toml"
            conf.write_text(IOTCORE_TOML.format(host=self.host, port=self.port))
            self._iotcore = Broker(config_path=str(conf)).start()
        log.info("%s broker listening on %s", self.engine, self.url)
        return self

    def stop(self) -> None:
        if self._iotcore is not None:
            self._iotcore.stop()
            self._iotcore = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(5)
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None

    def reload(self) -> None:
        """SIGHUP: Mosquitto re-reads its password and ACL files and drops clients that no longer
        authenticate, without a restart."""
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError("broker is not running")
        self._process.send_signal(signal.SIGHUP)

    def kill(self) -> None:
        """SIGKILL, as a crash or power cut would (Mosquitto keeps what it autosaved)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(5)
        self.stop()

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def __enter__(self) -> ManagedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
