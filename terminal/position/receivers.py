"""Streaming GNSS receivers: NMEA 0183 from a serial port/file/stream, and gpsd's JSON over loopback TCP.

Each runs one daemon thread that reads and parses; ``latest()`` only takes a lock, so a UI tick never waits
on I/O. Corrupt input is counted in ``rejected`` and otherwise ignored.
"""
from __future__ import annotations

import ipaddress
import json
import math
import socket
import threading
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from terminal.clock import Clock, utc_now
from terminal.position.nmea import NmeaError, NmeaFix, parse_sentence
from terminal.position.providers import Fix, PositionProvider, PositionUnavailable


class StreamingProvider(PositionProvider):
    def __init__(self, clock: Clock):
        self.clock = clock
        self.rejected = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._latest: Fix | None = None
        self._new_fix = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        raise NotImplementedError

    def _publish(self, fix: Fix) -> None:
        with self._new_fix:
            self._latest = fix
            self._new_fix.notify_all()

    def latest(self) -> Fix | None:
        with self._lock:
            return self._latest

    def wait_fix(self, timeout: float, *, newer_than: datetime | None = None) -> Fix | None:
        """Block until a fix (newer than ``newer_than``) is there; for CLIs and tests, not for UI threads."""
        def ready() -> bool:
            return self._latest is not None and (newer_than is None or self._latest.timestamp > newer_than)
        with self._new_fix:
            self._new_fix.wait_for(ready, timeout)
            return self._latest if ready() else None

    def stop(self) -> None:
        self._stopping.set()
        self._close_source()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _close_source(self) -> None:
        pass


class NmeaProvider(StreamingProvider):
    """NMEA 0183 from a file path, a device path, or any iterable of lines (str or bytes).

    GGA carries HDOP (accuracy ≈ HDOP × 5 m, see ``nmea.HDOP_TO_METRES``), RMC carries date, speed and course;
    a receiver sends both per epoch, so a fix merges the two sentences that share a UTC time.
    """

    def __init__(self, source: str | Path | Iterable[str] | Iterable[bytes], *, clock: Clock = utc_now):
        super().__init__(clock)
        self.source = source
        self._opened: IO[Any] | Any = None
        self._last: dict[str, NmeaFix] = {}
        self._last_date: date | None = None

    @classmethod
    def from_serial(cls, port: str, baudrate: int = 9600, *, clock: Clock = utc_now) -> NmeaProvider:
        try:
            import serial
        except ImportError as exc:
            raise PositionUnavailable("reading NMEA from a serial port needs the 'pyserial' package") from exc
        try:
            port_handle = serial.Serial(port, baudrate, timeout=1)
        except serial.SerialException as exc:
            raise PositionUnavailable(f"cannot open GNSS serial port {port}: {exc}") from exc
        provider = cls(port_handle, clock=clock)
        provider._opened = port_handle
        return provider

    def _lines(self) -> Iterable[str | bytes]:
        if isinstance(self.source, (str, Path)):
            self._opened = open(self.source, "rb")
            return self._opened
        return self.source

    def _run(self) -> None:
        try:
            for raw in self._lines():
                if self._stopping.is_set():
                    break
                line = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
                if line.strip():
                    self.feed(line)
        except (OSError, ValueError) as exc:  # port unplugged, or stream closed by stop()
            if not self._stopping.is_set():
                self.last_error = str(exc)

    def feed(self, line: str) -> Fix | None:
        """Parse one sentence; returns the fix it completed, if any. Usable without the thread."""
        try:
            sentence = parse_sentence(line)
        except NmeaError as exc:
            self.rejected += 1
            self.last_error = str(exc)
            return None
        if sentence is None:
            return None
        if sentence.utc_date is not None:
            self._last_date = sentence.utc_date
        self._last[sentence.kind] = sentence
        if not sentence.valid or sentence.lat is None or sentence.lon is None:
            return None
        gga = self._last.get("GGA")
        rmc = self._last.get("RMC")
        same_epoch_gga = gga if gga is not None and gga.utc_time == sentence.utc_time else None
        same_epoch_rmc = rmc if rmc is not None and rmc.utc_time == sentence.utc_time else None
        now = self.clock()
        timestamp = sentence.timestamp(self._last_date or now.date()) or now
        fix = Fix(sentence.lat, sentence.lon, same_epoch_gga.accuracy_m if same_epoch_gga else None, timestamp,
                  speed_mps=same_epoch_rmc.speed_mps if same_epoch_rmc else None,
                  heading_deg=same_epoch_rmc.course_deg if same_epoch_rmc else None, source="nmea")
        self._publish(fix)
        return fix

    def _close_source(self) -> None:
        if self._opened is not None:
            self._opened.close()
            self._opened = None


class GpsdProvider(StreamingProvider):
    """gpsd's TPV reports over TCP; loopback only, since gpsd has no authentication or encryption."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2947, *, clock: Clock = utc_now,
                 reconnect_max_s: float = 10.0):
        super().__init__(clock)
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"gpsd must be reached on loopback, not {host!r}")
        self.host, self.port, self.reconnect_max_s = host, port, reconnect_max_s
        self._socket: socket.socket | None = None

    def _run(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            try:
                self._session()
                delay = 0.5
            except OSError as exc:
                if self._stopping.is_set():
                    break
                self.last_error = f"gpsd {self.host}:{self.port}: {exc}"
            self._stopping.wait(delay)  # gpsd restarts (and hot-plugged receivers) are routine: keep retrying
            delay = min(self.reconnect_max_s, delay * 2)

    def _session(self) -> None:
        with socket.create_connection((self.host, self.port), timeout=5) as sock:
            self._socket = sock
            sock.settimeout(1.0)
            sock.sendall(b'?WATCH={"enable":true,"json":true};\n')
            buffer = b""
            while not self._stopping.is_set():
                try:
                    chunk = sock.recv(4096)
                except TimeoutError:
                    continue
                if not chunk:
                    raise ConnectionResetError("gpsd closed the connection")
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    self.feed(line)

    def feed(self, line: bytes | str) -> Fix | None:
        try:
            report = json.loads(line)
        except ValueError:
            self.rejected += 1
            return None
        if not isinstance(report, dict) or report.get("class") != "TPV":
            return None  # VERSION, DEVICES, WATCH, SKY: nothing to position with
        if report.get("mode", 0) < 2 or "lat" not in report or "lon" not in report:
            return None  # no fix yet
        fix = Fix(float(report["lat"]), float(report["lon"]), tpv_accuracy(report), tpv_time(report) or self.clock(),
                  speed_mps=report.get("speed"), heading_deg=report.get("track"), source="gpsd")
        self._publish(fix)
        return fix

    def _close_source(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def tpv_accuracy(report: dict[str, Any]) -> float | None:
    """epx/epy are 95 % error bounds per axis in metres; their hypotenuse bounds the horizontal error."""
    epx, epy = report.get("epx"), report.get("epy")
    if epx is not None and epy is not None:
        return math.hypot(float(epx), float(epy))
    if report.get("eph") is not None:
        return float(report["eph"])
    return None


def tpv_time(report: dict[str, Any]) -> datetime | None:
    text = report.get("time")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)  # Python 3.11 reads gpsd's trailing "Z"
    except ValueError:
        return None
