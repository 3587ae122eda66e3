"""The patrol screen for real (offscreen Kivy in a subprocess): the end button asks first, "keep patrolling"
changes nothing, confirming ends the patrol with its summary in the outbox, and the map widget draws the grid
outline and the walked line. The screen is saved mid-confirmation to test-artifacts/screens/ for a look."""
from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from .conftest import config_dict
from .test_screens_render import ARTIFACTS, REPO, kivy_env

DRIVER = r"""
import json, sys
from pathlib import Path
from terminal.app.ui.boot import prepare_kivy, register_cjk_font
prepare_kivy("tablet", offscreen=True)
register_cjk_font()
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics import Line
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.app.ui.app import GridlineApp

ctx = TerminalContext(load_config(sys.argv[1]), "tablet")
app = GridlineApp(ctx, connect=False)
out = {}
shot = Path(sys.argv[2])

def lines(widget):
    return [len(i.points) // 2 for i in widget.canvas.before.children if isinstance(i, Line)]

def start(_dt):
    screen = app.screen("home")
    out["idle_hint"] = screen.ids.track_map.hint
    screen.toggle()
    out["running"] = screen.running
    Clock.schedule_once(ask, 2.5)  # two ticks: the simulated tablet walks on

def ask(_dt):
    screen = app.screen("home")
    screen.toggle()  # the end button: asks first
    out["confirming"] = screen.confirming
    out["confirm_text"] = screen.confirm_text
    out["still_running"] = ctx.patrol.running
    out["map_lines"] = lines(screen.ids.track_map)
    Clock.schedule_once(shoot, 0.3)  # let layout and label textures follow, as on a real screen

def shoot(_dt):
    screen = app.screen("home")
    Window.dispatch("on_draw")
    shot.parent.mkdir(parents=True, exist_ok=True)
    saved = Window.screenshot(name=str(shot.parent / "patrol-confirm.png"))
    Path(saved).replace(shot)
    screen.keep_going()
    out["after_keep_going"] = [screen.confirming, ctx.patrol.running]
    screen.toggle()
    screen.confirm_stop()
    out["after_confirm"] = [screen.confirming, ctx.patrol.running, screen.summary]
    rows = ctx.device.store.db.execute("SELECT kind FROM outbox ORDER BY seq").fetchall()
    out["outbox"] = [r[0] for r in rows]
    app.stop()

Clock.schedule_once(start, 0.5)
app.run()
print(json.dumps(out, ensure_ascii=False))
"""


WORDS = {"zh": ("开始巡逻后，这里会画出走过的路线", "确定结束这次巡逻吗？已巡逻 ", "用时 "),
         "en": ("Your route is drawn here once you start", "End this patrol? ", "0m ")}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_ending_a_patrol_on_screen_asks_first_and_the_map_draws_the_walk(tmp_path, language):
    hint, question, summary_start = WORDS[language]
    data = config_dict(tmp_path, "tablet-drive-01", patrol_interval_s=0.5, language=language)
    data["grid"]["outline"] = [[113.5300, 22.2700], [113.5330, 22.2700], [113.5330, 22.2730], [113.5300, 22.2730]]
    data["position"] = {"kind": "simulated", "waypoints": [[22.2705, 113.5305], [22.2725, 113.5305]],
                        "speed_mps": 12}
    config = tmp_path / "tablet.json"
    config.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shot = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / "tablet_home_confirm.png"
    done = subprocess.run([sys.executable, "-c", DRIVER, str(config), str(shot)], cwd=REPO, env=kivy_env(tmp_path),
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Cutbuffer" not in done.stderr + done.stdout  # kivy's xclip/xsel search, silenced in prepare_kivy
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["idle_hint"] == hint
    assert out["running"] and out["confirming"] and out["still_running"]
    assert out["confirm_text"].startswith(question)
    outline, *track = out["map_lines"]
    assert outline == 5 and track and track[-1] >= 2  # the closed grid ring, then the walked line (2+ places)
    assert out["after_keep_going"] == [False, True]
    confirming, running, summary = out["after_confirm"]
    assert not confirming and not running and summary.startswith(summary_start)
    assert out["outbox"][-1] == "patrol" and set(out["outbox"][:-1]) == {"position"}
    image = cv2.imread(str(shot))
    assert image is not None and (image.shape[1], image.shape[0]) == (1280, 800)
    # the walked line is drawn in orange (BGR ~ (38, 158, 255)) on the map half of the screen
    orange = np.all(np.abs(image[:, 640:].astype(int) - (38, 158, 255)) < 40, axis=2)
    assert orange.sum() > 50
