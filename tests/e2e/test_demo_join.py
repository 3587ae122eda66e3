"""Joining real apps to a running `gridline demo`: the demo prints, per profile, one command that enrols a spare
device with a one-time code and runs the Kivy app; run as printed (offscreen, time-boxed) each app comes online at
the demo's hub, and starts without kivy's Cutbuffer CRITICAL or any traceback."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_until

JOIN_LINE = re.compile(r"^    (kiosk|tablet|phone) +gridline (terminal run .*)$", flags=re.M)
SIGN_IN = re.compile(r"^  sign in   user (\S+)  password (\S+) ", flags=re.M)
HUB = re.compile(r"^  hub API   (http://\S+)/docs", flags=re.M)


def _json(url: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _device_state(base: str, token: str, device_id: str) -> str | None:
    try:
        return _json(f"{base}/api/devices/{device_id}", token)["state"]
    except urllib.error.HTTPError:
        return None  # not seen yet


@pytest.fixture
def demo(tmp_path):
    log = tmp_path / "demo.out"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gridline", "demo", "--for", "300", "--rate", "0.2",
                                 "--data-dir", str(tmp_path / "demo"), "--http", "127.0.0.1:0"],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_until(lambda: len(JOIN_LINE.findall(log.read_text())) == 3 or proc.poll() is not None, 90,
                   message="the demo's join commands")
        assert proc.poll() is None, log.read_text()
        yield log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)  # the demo stops its devices, hub and broker on SIGTERM
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_each_printed_command_runs_a_real_app_that_comes_online(demo, tmp_path):
    base = HUB.search(demo)[1]
    user, password = SIGN_IN.search(demo).groups()
    token = _json(f"{base}/api/auth/login", body={"username": user, "password": password})["token"]
    commands = dict(JOIN_LINE.findall(demo))
    assert set(commands) == {"kiosk", "tablet", "phone"}
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy-home")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    apps: dict[str, subprocess.Popen] = {}
    seen: dict[str, list[str | None]] = {profile: [] for profile in commands}
    try:
        for profile, command in commands.items():  # side by side, as three people would join their devices
            argv = shlex.split(command)
            assert argv[:4] == ["terminal", "run", "--profile", profile] and "--enroll" in argv and "--hub" in argv
            config = Path(argv[argv.index("--config") + 1])
            assert config.is_file() and config.name == f"{profile}.toml"  # the shipped example config
            with (tmp_path / f"{profile}.out").open("w") as out:
                apps[profile] = subprocess.Popen([sys.executable, "-m", "gridline", *argv, "--for", "15"],
                                                 stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        waiting = set(apps)
        while waiting and time.monotonic() < deadline:
            for profile in sorted(waiting):
                seen[profile].append(_device_state(base, token, f"{profile}-fs-join"))
                if seen[profile][-1] == "online" or apps[profile].poll() is not None:
                    waiting.discard(profile)
            time.sleep(0.3)
        codes = {profile: app.wait(60) for profile, app in apps.items()}
    finally:
        for app in apps.values():
            if app.poll() is None:
                app.kill()
                app.wait(10)
    for profile in apps:
        text = (tmp_path / f"{profile}.out").read_text()
        assert codes[profile] == 0, text[-4000:]
        assert f"enrolled as {profile}-fs-join" in text
        assert "online" in seen[profile], (profile, seen[profile][-3:], text[-2000:])
        assert "Cutbuffer" not in text, text[-4000:]  # kivy's clipboard search for xclip/xsel, silenced
        assert "Traceback" not in text, text[-4000:]
