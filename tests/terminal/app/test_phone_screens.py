"""The phone's task screens rendered and driven for real (offscreen Kivy in a subprocess, as
test_screens_render.py does): the task detail with labelled thumbnails, the offline map, distance and bearing,
in Chinese and English (PNGs in test-artifacts/screens/); a task arriving on the sync thread raises the banner on
screen, the badge counts it, the tone provider is asked to play, and a tap on a thumbnail shows the full photo."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from protocol import DownlinkMessage, TaskBody, uuid7
from terminal.app.presenters.tasks import SELECTED_SETTING
from terminal.camera import SyntheticCameraProvider
from terminal.photo_fetch import TaskPhotoCache
from terminal.store import TerminalStore

from .conftest import GRID_BBOX, config_dict
from .test_screens_render import ARTIFACTS, REPO, kivy_env

NOW = datetime.now(UTC)
PIN = (22.2712, 113.5311)
PHONE_AT = (22.2704, 113.5302)  # ~125 m south-west of the pin: the case is to the north-east


def scene_jpeg(seed: int, long_side: int = 160, tint: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    with SyntheticCameraProvider(seed=seed) as camera:
        frame = camera.read_frame()
    frame = cv2.add(frame, np.full_like(frame, tint))
    h, w = frame.shape[:2]
    scale = long_side / max(h, w)
    small = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok
    return jpeg.tobytes()


def seed_phone(data_dir: Path, device_id: str) -> dict:
    """Three tasks (red, yellow, blue) and the red one opened: a verification with report/before/after photos,
    the report photo's full copy already fetched, the after photo still on its way to the hub."""
    store = TerminalStore(data_dir / "terminal.db", device_id)
    photos = {"report": scene_jpeg(3), "before": scene_jpeg(5, tint=(0, 30, 40)), "after": scene_jpeg(8)}
    shas = {role: f"{i:x}" * 64 for i, role in enumerate(photos, start=10)}
    shas = {role: (sha * 2)[:64] for role, sha in shas.items()}
    try:
        first = None
        for level, title, hours, state in [("blue", "3号楼消防通道堵塞", 30, "dispatched"),
                                            ("red", "井盖缺失（福石路12号）", 2, "resolved"),
                                            ("yellow", "占道经营（菜场门口）", 6, "accepted")]:
            case_id = uuid7()
            thumbs = None
            actions = {"dispatched": ["accept", "return"], "resolved": ["verify"], "accepted": ["arrive", "return"]}
            if state == "resolved":
                first = case_id
                thumbs = [{"sha256": shas[r], "role": r,
                           **({"jpeg_b64": base64.b64encode(photos[r]).decode()} if r != "after" else {})}
                          for r in photos]
            body = TaskBody(case_id=case_id, case_version=3, case_state=state, role="verifier" if thumbs else "handler",
                            category="C0101", category_name="上水井盖", category_name_en="Water supply manhole cover",
                            title=title, note="现场有行人绊倒风险，请尽快处置", level=level,
                            deadline=NOW + timedelta(hours=hours), position={"lat": PIN[0], "lon": PIN[1],
                                                                             "accuracy_m": 6},
                            grid_code="440402004005001", photos=list(shas.values()) if thumbs else [],
                            thumbnails=thumbs, actions=actions[state])
            store.store_downlink(DownlinkMessage(id=uuid7(), device_id=device_id, kind="task",
                                                 body=body.model_dump(mode="json"), created_at=NOW))
        store.set_setting(SELECTED_SETTING, first)
    finally:
        store.close()
    full = scene_jpeg(3, long_side=1024)
    TaskPhotoCache(data_dir, None, None)._keep(shas["report"], full)
    return {"case_id": first, "shas": shas, "full": full}


def phone_config(tmp_path: Path, device_id: str, language: str = "zh") -> tuple[Path, dict]:
    data = config_dict(tmp_path, device_id, language=language)
    data["position"] = {"kind": "fixed", "lat": PHONE_AT[0], "lon": PHONE_AT[1], "accuracy_m": 8.0}
    data["grid"]["bbox"] = GRID_BBOX
    path = tmp_path / f"{device_id}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, data


def run_gridline(args: list[str], tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = kivy_env(tmp_path) | {"SDL_AUDIODRIVER": "dummy"}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_task_detail_shows_thumbnails_map_and_how_far(tmp_path, language):
    config, data = phone_config(tmp_path, f"phone-detail-{language}", language)
    seed_phone(Path(data["data_dir"]), data["device_id"])
    out = ARTIFACTS if language == "zh" else ARTIFACTS / language
    target = out / "phone_task_detail.png"
    done = run_gridline(["-m", "gridline", "terminal", "run", "--profile", "phone", "--config", str(config),
                         "--screenshot", str(target), "--screen", "task", "--for", "0.5"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    image = cv2.imread(str(target))
    assert image is not None and (image.shape[1], image.shape[0]) == (540, 960)
    # the map: the grid outline's green and the pin's red are on screen, the own fix's blue too
    b, g, r = (image[..., i].astype(int) for i in range(3))
    assert ((g > 180) & (r < 170) & (b < 170)).sum() > 200, "no grid outline drawn"
    assert ((r > 200) & (g < 90) & (b < 80)).sum() > 100, "no pin drawn"
    assert ((b > 220) & (r < 100) & (g > 130)).sum() > 40, "no own position drawn"
    # the thumbnails: the report photo's pixels (not a grey placeholder) in the photo strip's rows
    strip = image[300:560]
    assert strip.std() > 25


DRIVER = r"""
import json, sys, threading, time
from terminal.app.ui.boot import prepare_kivy, register_cjk_font
prepare_kivy("phone", offscreen=True)
register_cjk_font()
from kivy.clock import Clock
from terminal.app.config import load_config
from terminal.app.context import TerminalContext
from terminal.app.ui.app import GridlineApp
from protocol import DownlinkMessage, TaskBody, uuid7
from datetime import datetime, timezone

ctx = TerminalContext(load_config(sys.argv[1]), "phone")
app = GridlineApp(ctx, connect=False)
out = {}

def start(_dt):
    home = app.screen("home")
    out["sound"] = type(ctx.tasks.alerter.sound).__name__
    out["badge_before"] = home.badge
    out["banner_before"] = home.banner
    body = TaskBody(case_id=uuid7(), case_version=1, case_state="dispatched", role="handler", category="E0101",
                    category_name="暴露垃圾", title="楼下垃圾堆积", level="red",
                    position={"lat": 22.2712, "lon": 113.5311, "accuracy_m": 6}, actions=["accept", "return"])
    message = DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="task",
                              body=body.model_dump(mode="json"), created_at=datetime.now(timezone.utc))
    def deliver():  # as the sync engine does, on its own thread
        ctx.device.store.store_downlink(message)
        ctx.device.engine.on_downlink(message)
    threading.Thread(target=deliver).start()
    Clock.schedule_once(check, 0.8)

def check(_dt):
    home = app.screen("home")
    out["banner"] = home.banner
    out["badge"] = home.badge
    out["rows"] = [(row["title"], row["chip"]) for row in home.tasks]
    out["alerts"] = ctx.tasks.alerter.alerts
    sound = ctx.tasks.alerter.sound
    out["played"] = getattr(sound, "played", None)
    from kivy.core.window import Window
    import shutil, tempfile
    saved = Window.screenshot(name=tempfile.mkdtemp() + "/shot.png")  # kivy numbers the name; move it to ours
    shutil.move(saved, sys.argv[2])
    home.open_banner()
    Clock.schedule_once(detail, 0.3)

def detail(_dt):
    out["screen"] = app.manager.current
    task = app.screen("task")
    out["detail_title"] = task.title
    out["how_far"] = task.how_far
    ctx.tasks.select(sys.argv[3])  # the seeded verification; its report photo's full copy is on the phone
    task.refresh()
    task.open_photo(sys.argv[4])
    Clock.schedule_once(full_photo, 0.4)

def full_photo(_dt):
    task = app.screen("task")
    out["viewing"] = task.viewing
    out["viewing_text"] = task.viewing_text
    from kivy.core.window import Window
    import shutil, tempfile
    shutil.move(Window.screenshot(name=tempfile.mkdtemp() + "/shot.png"), sys.argv[5])
    task.close_photo()
    out["viewing_after_close"] = task.viewing
    app.stop()

Clock.schedule_once(start, 0.5)
app.run()
print(json.dumps(out, ensure_ascii=False))
"""


def test_a_task_arriving_raises_the_banner_and_sound_on_screen_and_a_photo_opens(tmp_path):
    config, data = phone_config(tmp_path, "phone-banner-01")
    seeded = seed_phone(Path(data["data_dir"]), data["device_id"])
    shot, photo_shot = ARTIFACTS / "phone_home_banner.png", ARTIFACTS / "phone_task_full_photo.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    done = run_gridline(["-c", DRIVER, str(config), str(shot), seeded["case_id"], seeded["shas"]["report"],
                         str(photo_shot)], tmp_path, timeout=90)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["banner_before"] == "" and out["badge_before"] == "新任务 2"  # the blue one and the verification
    assert out["banner"] == "新任务：楼下垃圾堆积"
    assert out["badge"] == "新任务 3"
    # by urgency, then deadline: red due in 2 h, red with no deadline, yellow, blue
    assert [title for title, _ in out["rows"]] == [
        "● 井盖缺失（福石路12号）", "● 楼下垃圾堆积", "● 占道经营（菜场门口）", "● 3号楼消防通道堵塞"]
    assert [chip for _, chip in out["rows"]] == ["新任务", "新任务", "已接单", "新任务"]
    assert out["alerts"] == [["我的任务", "楼下垃圾堆积"]]
    assert out["sound"] == "KivySound" and out["played"] == 1  # SDL's dummy audio driver: the real provider
    assert out["screen"] == "task" and out["detail_title"] == "楼下垃圾堆积"
    assert out["how_far"] == "约 130 米 · 东北"
    image = cv2.imread(str(shot))  # the banner's amber across the top of the list
    b, g, r = (image[60:110, 20:520, i].astype(int) for i in range(3))
    assert ((r > 230) & (g > 170) & (g < 215) & (b < 90)).mean() > 0.5
    # a tap on the report's thumbnail: the full photo (fetched earlier, kept on the phone) over the screen
    assert (out["viewing"], out["viewing_text"], out["viewing_after_close"]) == (True, "", False)
    full = cv2.imread(str(photo_shot))
    assert full[200:700, 40:500].std() > 25  # the street scene, not an empty overlay
