"""The kiosk screens this work changed, each rendered alone in a realistic state, offscreen, in Chinese (and the
success and 查进度 screens in English too), saved under test-artifacts/screens/ (kiosk_shots.py draws them)."""
from __future__ import annotations

import subprocess
import sys

import cv2
import pytest

from .test_screens_render import ARTIFACTS, REPO, kivy_env

SHOTS = [("home", "zh"), ("report", "zh"), ("report_done", "zh"), ("lookup", "zh"), ("notices", "zh"),
         ("checkin", "zh"), ("keyboard", "zh"), ("report_done", "en"), ("lookup", "en")]


def shoot(tmp_path, screen: str, language: str, *extra: str):
    name = f"kiosk_state_{screen}{''.join('_' + e for e in extra)}.png"
    out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "tests.terminal.app.kiosk_shots", screen, language,
                           str(tmp_path / "data"), str(out), *extra], cwd=REPO, env=kivy_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (1080, 1920)
    assert image.std() > 20, f"{out.name} is nearly blank"
    return image


@pytest.mark.parametrize(("screen", "language"), SHOTS)
def test_kiosk_screen_renders(tmp_path, screen, language):
    image = shoot(tmp_path, screen, language)
    if screen == "report_done":  # a success screen, not a line of yellow text: mostly the success green
        b, g, r = image[540, 960].astype(int)
        assert g > r + 30 and g > b + 20, (b, g, r)


def test_home_without_a_key_says_why_check_in_is_off(tmp_path):
    with_key = shoot(tmp_path / "a", "home", "zh")
    without = shoot(tmp_path / "b", "home", "zh", "nokey")
    assert abs(with_key.astype(int) - without.astype(int)).mean() > 1
