"""``gridline hub serve --workers N`` (hub/process/worker_pool.py): one API address, N workers in one share group.

- two workers serve one port and split the uplinks; one killed with SIGKILL while devices produce is started
  again in its slot, and nothing is lost or stored twice; SIGTERM stops the pool and every worker cleanly;
- a pool whose workers cannot start (database refused) gives up with exit code 1 instead of looping;
- settings that cannot run several workers (SQLite, the embedded broker) are refused with a reason.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.process.worker_pool import PoolConfigError, check_pool_settings
from hub.settings import HubSettings
from terminal.simulate import run_simulation
from tests.isolation import free_port

from .conftest import assert_nothing_lost, audit_dirs, wait_until

LISTENERS = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name LIKE 'gridline-wakeup-listen:%'")


class Pool:
    def __init__(self, workers: int, broker_url: str, db_url: str, data_dir: Path, client_id: str):
        self.port = free_port()
        self.log_path = data_dir / "pool.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gridline", "hub", "serve", "--workers", str(workers), "--broker", broker_url,
                 "--db", db_url, "--http", f"127.0.0.1:{self.port}", "--data-dir", str(data_dir),
                 "--client-id", client_id], stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "GRIDLINE_SHARED_SESSION_EXPIRY_S": "8", "PYTHONUNBUFFERED": "1"})

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=5) as resp:
            return json.loads(resp.read())

    def healthy(self) -> bool:
        try:
            return self.health()["status"] == "ok"
        except OSError:
            return False

    def workers(self) -> set[int]:
        """Pids of the pool's live worker processes (its children, from /proc)."""
        out = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                    out.add(int(entry.name))
        return out

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


def _count(engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


@pytest.mark.slow
def test_pool_serves_one_port_restarts_a_killed_worker_and_loses_nothing(own_broker, pg_url, tmp_path, unique):
    engine = sa.create_engine(pg_url)
    pool = Pool(2, own_broker.url, pg_url, tmp_path / "hub", f"pool-{unique}")
    result: dict = {}
    try:
        wait_until(pool.healthy, 90, interval=0.3, message="pool API up")
        wait_until(lambda: _count(engine, LISTENERS) == 2, 60, message="both workers connected to PostgreSQL")
        first = pool.workers()
        assert len(first) == 2, pool.log()[-3000:]
        answered = {pool.health()["worker"] for _ in range(40)}
        assert answered <= {f"pool-{unique}-w0", f"pool-{unique}-w1"}, answered

        def devices():
            result["totals"] = run_simulation(own_broker.url, tmp_path / "devices", count=6, rate=12, duration=10,
                                              device_prefix=f"pl{unique}", drain_timeout=120, seed=5,
                                              device_options={"ack_timeout": 3.0})

        thread = threading.Thread(target=devices, daemon=True)
        thread.start()
        time.sleep(3)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # The pool starts a new worker in the dead one's slot (after 1 s), which reconnects to both services.
        wait_until(lambda: len(pool.workers()) == 2 and victim not in pool.workers(), 30, message="worker replaced")
        wait_until(lambda: _count(engine, LISTENERS) == 2, 60, message="replacement worker up")
        thread.join(200)
        assert result["totals"].drained, result["totals"]
        assert f"(pid {victim}) exited with -9" in pool.log(), pool.log()[-3000:]
        totals = audit_dirs(tmp_path / "devices", pg_url, tmp_path / "hub")
        workers_before_stop = pool.workers()
        assert pool.stop() == 0, pool.log()[-3000:]
        assert all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
                   for pid in workers_before_stop), "workers outlived the pool"
    finally:
        pool.stop()
        engine.dispose()
    assert_nothing_lost(totals)


@pytest.mark.slow
def test_pool_whose_workers_cannot_start_exits_with_an_error(tmp_path):
    pool = Pool(2, "mqtt://127.0.0.1:1", "postgresql://postgres@127.0.0.1:1/none", tmp_path / "hub", "pool-bad")
    try:
        code = pool.proc.wait(120)
    finally:
        pool.stop()
    assert code == 1, pool.log()[-3000:]
    assert "failed to start 3 times" in pool.log()
    assert pool.workers() == set()


def test_pool_refuses_settings_that_cannot_run_several_workers(tmp_path):
    pg = "postgresql://postgres@127.0.0.1:5432/x"
    with pytest.raises(PoolConfigError, match="PostgreSQL"):
        check_pool_settings(HubSettings(data_dir=tmp_path), 2)  # SQLite by default
    with pytest.raises(PoolConfigError, match="external broker"):
        check_pool_settings(HubSettings(db_url=pg, broker_url="embedded"), 2)
    with pytest.raises(PoolConfigError, match="client ids"):
        check_pool_settings(HubSettings(db_url=pg, client_id="h" * 63), 2)
    assert check_pool_settings(HubSettings(db_url=pg, client_id="hub.east"), 3) == "hub-east"
    assert check_pool_settings(HubSettings(db_url=pg, share_group="hubs"), 2) == "hubs"
    done = subprocess.run([sys.executable, "-m", "gridline", "hub", "serve", "--workers", "2", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "needs PostgreSQL" in done.stderr
