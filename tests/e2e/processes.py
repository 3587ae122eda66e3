"""Run the hub and simulated terminals as real OS processes, so tests can kill -9 them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.isolation import free_port


def gridline(*args: str, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gridline", *args], stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


class HubProcess:
    def __init__(self, broker_url: str, data_dir: Path, db_url: str | None = None):
        self.broker_url, self.data_dir = broker_url, data_dir
        self.db_url = db_url or f"sqlite:///{data_dir / 'hub.db'}"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = gridline("hub", "serve", "--broker", self.broker_url, "--db", self.db_url,
                             "--http", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
                             "--client-id", f"e2e-hub-{self.port}", log=self.data_dir / "hub.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {(self.data_dir / 'hub.log').read_text()[-2000:]}")
            try:
                health = self.get("/api/health")
                if health.get("status") == "ok":
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("hub did not become healthy")

    def get(self, path: str):
        with urllib.request.urlopen(self.base_url + path, timeout=5) as resp:
            return json.loads(resp.read())

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()
