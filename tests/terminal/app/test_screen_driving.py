"""The thin Kivy layer forwards for real: a scripted driver presses the screens' methods inside a running app.

Runs the real ``GridlineApp`` offscreen in a subprocess (Kivy's Window is a process singleton). Kiosk: the
report screen captures, picks a category and submits into the outbox, and the idle timer brings the kiosk
home. Phone: a task delivered on another thread (as the sync engine does) shows up in the list through
the coalesced Clock refresh, with no call to refresh from the test.
"""
from __future__ import annotations

import json
import subprocess
import sys

from .conftest import config_dict
from .test_screens_render import REPO, kivy_env

DRIVER = r"""
import json, sys, threading
from datetime import datetime, timezone
from terminal.app.ui.boot import prepare_kivy, register_cjk_font
prepare_kivy(sys.argv[1], offscreen=True)
register_cjk_font()
from kivy.clock import Clock
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.app.ui.app import GridlineApp
from protocol import DownlinkMessage, TaskBody, uuid7

class Ticks:
    now = 0.0
    def __call__(self):
        return self.now

ticks = Ticks()
ctx = TerminalContext(load_config(sys.argv[2]), sys.argv[1], monotonic=ticks)
app = GridlineApp(ctx, connect=False)
out = {}

def kiosk_steps(_dt):
    app.go("report")
    screen = app.screen("report")
    screen.capture()
    out["after_capture"] = screen.photo_message
    screen.choose_category("E0101")
    out["category"] = screen.category_text
    screen.submit()
    out["after_submit"] = app.manager.current  # the kiosk shows a success screen of its own
    out["receipt"] = app.screen("report_done").receipt_code
    out["pending"] = ctx.device.status().pending
    app.go("checkin")
    ticks.now += ctx.config.idle_timeout_s + 1  # nobody touched the kiosk
    Clock.schedule_once(kiosk_idle, 1.3)  # the app's 1 s tick notices

def kiosk_idle(_dt):
    out["screen_after_idle"] = app.manager.current
    app.stop()

def phone_steps(_dt):
    out["before"] = len(app.screen("home").tasks)
    body = TaskBody(case_id=uuid7(), case_version=1, case_state="dispatched", role="handler", category="E0101",
                    category_name="暴露垃圾", title="楼下垃圾堆积", actions=["accept", "return"])
    message = DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="task",
                              body=body.model_dump(mode="json"), created_at=datetime.now(timezone.utc))
    def sync_thread():  # what the sync engine does on its own thread
        ctx.device.store.store_downlink(message)
        ctx.device.engine.on_downlink(message)
    threading.Thread(target=sync_thread).start()
    Clock.schedule_once(phone_check, 0.8)

def phone_check(_dt):
    out["after"] = [row["title"] for row in app.screen("home").tasks]
    out["alerts"] = getattr(ctx.tasks.alerter, "alerts", None)
    app.stop()

Clock.schedule_once(kiosk_steps if sys.argv[1] == "kiosk" else phone_steps, 0.3)
app.run()
print(json.dumps(out, ensure_ascii=False))
"""


def drive(profile: str, tmp_path) -> dict:
    config = tmp_path / f"{profile}.json"
    config.write_text(json.dumps(config_dict(tmp_path, f"{profile}-drive-01"), ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", DRIVER, profile, str(config)], cwd=REPO, env=kivy_env(tmp_path),
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_kiosk_report_screen_files_a_report_and_idle_returns_home(tmp_path):
    out = drive("kiosk", tmp_path)
    assert out["after_capture"].startswith("照片清晰")
    assert out["category"] == "暴露垃圾"
    assert out["after_submit"] == "report_done" and len(out["receipt"]) == 6
    assert out["pending"] == 1
    assert out["screen_after_idle"] == "home"


def test_phone_task_list_updates_itself_when_a_task_arrives(tmp_path):
    out = drive("phone", tmp_path)
    assert out["before"] == 0
    assert out["after"] == ["● 楼下垃圾堆积"]
    assert out["alerts"] == [["我的任务", "楼下垃圾堆积"]]
