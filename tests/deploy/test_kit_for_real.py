"""The deployment kit for real, without systemd or Docker (neither is on the test machines): the commands of
deploy/systemd/gridline-hub.service, run in order with its environment file, against a Mosquitto started from
deploy/mosquitto/gridline.conf (TLS, hub-written accounts and ACL, reloaded when they change as
gridline-broker-reload.path does) and this machine's PostgreSQL, configured by deploy/hub.toml with only the paths,
addresses and secrets of this test changed. Then: an admin and a kiosk are added with the CLI, the kiosk enrols and
syncs a report with a photo over TLS, /metrics is scraped and parsed, and a backup is restored into an empty
database with every row and the photo there."""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.store.backup import table_counts
from terminal.device import Device
from terminal.enroll import enroll
from terminal.photos import synthetic_photo
from tests.conftest import _fresh_pg_database
from tests.e2e.tls_certs import make_pki
from tests.isolation import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
GRID = "440402004005001"  # 福石一网格 of the sample community
SECRETS = {"GRIDLINE_SECRET_KEY": "deploy-kit-test-secret-0001", "GRIDLINE_PG_PASSWORD": "unused-trust-auth",
           "GRIDLINE_HUB_BROKER_PASSWORD": "hub-broker-pass-0001", "GRIDLINE_METRICS_TOKEN": ""}


def unit_commands(unit: Path) -> dict[str, list[str]]:
    """``Exec*`` and ``EnvironmentFile`` lines of a systemd unit, in order (keys repeat)."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key in ("ExecStartPre", "ExecStart", "EnvironmentFile"):
            found.setdefault(key, []).append(value)
    return found


def as_test_command(line: str, config: Path) -> list[str]:
    argv = shlex.split(line.replace("/etc/gridline/hub.toml", str(config)))
    assert argv[0] == "/opt/gridline/venv/bin/gridline", argv
    if "--workers" in argv:
        argv[argv.index("--workers") + 1] = "2"  # two cores here
    return [sys.executable, "-m", "gridline", *argv[1:]]


def reload_on_change(files: list[Path], pid: int, stop: threading.Event) -> None:
    """What gridline-broker-reload.path + .service do: SIGHUP Mosquitto whenever the hub rewrites its files."""
    def stamp() -> tuple:
        return tuple(f.stat().st_mtime_ns if f.exists() else 0 for f in files)
    last = stamp()
    while not stop.wait(0.2):
        now = stamp()
        if now != last:
            os.kill(pid, signal.SIGHUP)
            last = now


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert proc.poll() is None, "the hub exited"
        time.sleep(0.2)
    pytest.fail(f"{url} never answered 200")


@pytest.fixture
def databases():
    made = [_fresh_pg_database(), _fresh_pg_database()]
    yield [url for url, _ in made]
    for _, drop in made:
        drop()


def test_the_kit_runs_a_hub_that_a_kiosk_syncs_with_and_its_backup_restores(tmp_path, databases):
    db_url, restore_url = databases
    pki = make_pki(tmp_path / "tls")
    etc, auth_dir = tmp_path / "etc", tmp_path / "broker-auth"
    etc.mkdir()
    broker_port, http_port = free_port(), free_port()
    env_file = etc / "gridline.env"
    env_file.write_text((DEPLOY / "gridline.env.example").read_text() + "".join(f"{k}={v}\n" for k, v in
                                                                                SECRETS.items()))
    config = etc / "hub.toml"
    text = (DEPLOY / "hub.toml").read_text()
    for pattern, value in ((r'^data_dir = .*$', f'data_dir = "{tmp_path / "hub"}"'),
                           (r'^db_url = .*$', f'db_url = "{db_url}"'),
                           (r'^broker_url = .*$', f'broker_url = "mqtts://gridline-hub:'
                                                  f'{SECRETS["GRIDLINE_HUB_BROKER_PASSWORD"]}@127.0.0.1:{broker_port}"'),
                           (r'^broker_ca_file = .*$', f'broker_ca_file = "{pki.ca_cert}"'),
                           (r'^device_broker_url = .*$', f'device_broker_url = "mqtts://127.0.0.1:{broker_port}"'),
                           (r'^broker_auth_dir = .*$', f'broker_auth_dir = "{auth_dir}"'),
                           (r'^http_port = .*$', f"http_port = {http_port}")):
        text, n = re.subn(pattern, value, text, flags=re.MULTILINE)
        assert n == 1, pattern  # the example still has the setting this test changes
    config.write_text(text)
    config.chmod(0o600)
    env = {**os.environ, **SECRETS}
    unit = unit_commands(DEPLOY / "systemd" / "gridline-hub.service")
    assert unit["EnvironmentFile"] == ["/etc/gridline/gridline.env"]

    for line in unit["ExecStartPre"]:  # config check, migrate, broker files: each must succeed
        done = subprocess.run(as_test_command(line, config), env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
    assert (auth_dir / "passwd").exists() and (auth_dir / "acl").exists()

    conf = (DEPLOY / "mosquitto" / "gridline.conf").read_text()
    for old, new in (("/etc/mosquitto/gridline", str(auth_dir)),
                     ("/etc/gridline/tls/broker.crt", str(pki.server_cert)),
                     ("/etc/gridline/tls/broker.key", str(pki.server_key)),
                     ("/var/lib/mosquitto/", f"{tmp_path / 'mosquitto'}/"),
                     ("listener 8883", f"listener {broker_port}")):
        assert old in conf, old
        conf = conf.replace(old, new)
    (tmp_path / "mosquitto").mkdir()
    (etc / "mosquitto.conf").write_text(("user root\n" if os.geteuid() == 0 else "") + conf)
    broker = subprocess.Popen(["mosquitto", "-c", str(etc / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    stop = threading.Event()
    watcher = threading.Thread(target=reload_on_change, args=([auth_dir / "passwd", auth_dir / "acl"], broker.pid,
                                                              stop), daemon=True)
    watcher.start()
    hub = subprocess.Popen(as_test_command(unit["ExecStart"][0], config), env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    device = None
    try:
        base = f"http://127.0.0.1:{http_port}"
        wait_http(f"{base}/api/health", hub)  # 200 only once the database answers and the broker is connected
        for argv in (["hub", "community", "load-sample"],
                     ["hub", "devices", "add", "kiosk-kit-1", "--kind", "kiosk", "--unit", GRID]):
            done = subprocess.run([sys.executable, "-m", "gridline", *argv, "--config", str(config)], env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
        code = re.search(r"enrolment code (\S+)", done.stdout).group(1)
        enroll(base, code, tmp_path / "kiosk")
        device = Device("kiosk-kit-1", tmp_path / "kiosk", "", ack_timeout=5, heartbeat_interval=3600).start()
        photo = synthetic_photo(seed=7)
        for n in range(5):
            device.report("E0101", 22.2490, 113.5215, note=f"部署测试{n}", photos=[photo] if n == 0 else ())
        assert device.wait_drained(60), device.status()

        deadline = time.monotonic() + 20  # another worker's figures are as of its last snapshot (every 5 s)
        while True:
            with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
                samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                           for family in text_string_to_metric_families(response.read().decode())
                           for s in family.samples}
            stored = sum(v for (name, _), v in samples.items() if name == "gridline_records_stored_total")
            if stored >= 5 or time.monotonic() > deadline:
                break
            time.sleep(1)
        workers = {dict(labels)["worker"] for name, labels in samples if name == "gridline_broker_connected"}
        assert stored >= 5 and len(workers) == 2, (stored, workers)  # both workers of the unit's pool report
        assert samples[("gridline_devices", (("state", "online"),))] >= 1
    finally:
        if device is not None:
            device.stop()
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=60)
        finally:
            stop.set()
            broker.terminate()
            broker.wait(timeout=10)

    out = tmp_path / "backup"
    for argv in (["hub", "backup", "--config", str(config), "--out", str(out)],
                 ["hub", "restore", "--config", str(config), "--db", restore_url, "--data-dir",
                  str(tmp_path / "restored"), "--from", str(out)]):
        done = subprocess.run([sys.executable, "-m", "gridline", *argv], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (argv, done.stderr[-2000:])
    counts = table_counts(restore_url)
    assert counts == table_counts(db_url) and counts["records"] >= 5 and counts["cases"] >= 1
    sha = hashlib.sha256(photo).hexdigest()
    assert (tmp_path / "restored" / "photos" / sha[:2] / sha).read_bytes() == photo
