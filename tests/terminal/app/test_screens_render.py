"""Every screen of every profile rendered for real, offscreen, through ``gridline terminal run --screenshot``.

One subprocess per profile (Kivy's Window is a process singleton); each saves one PNG per screen under
test-artifacts/screens/. Stores are seeded first so lists are not empty: notices on the kiosk, tasks on
the phone (one opened, as a worker left it).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from protocol import DownlinkMessage, NoticeBody, Position, TaskBody, uuid7
from terminal.app.presenters.patrol import STARTED_SETTING
from terminal.app.presenters.tasks import SELECTED_SETTING
from terminal.store import TerminalStore

from .conftest import config_dict

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "test-artifacts" / "screens"
SCREENS = {"kiosk": ["home", "report", "checkin", "notices", "lookup", "report_done", "followup", "deliberation"],
           "tablet": ["home", "report", "checkpoint", "hours", "watch"],
           "phone": ["home", "task", "watch", "visit"]}
SIZES = {"kiosk": (1920, 1080), "tablet": (1280, 800), "phone": (540, 960)}
NOW = datetime.now(UTC)


def kivy_env(tmp_path: Path) -> dict:
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1",
               KIVY_HOME=str(tmp_path / "kivy-home"))
    env.pop("DISPLAY", None)
    return env


def seed_watch_and_checkpoints(store: TerminalStore, device_id: str) -> None:
    from protocol import ChecklistItem, CheckpointInfo, CheckpointList, HoursBalance, WatchItem, WatchList

    items = [ChecklistItem(code="fire_lane_clear", text="消防通道畅通", text_en="Fire lane clear", category="E0504")]
    bodies = {"checkpoints": CheckpointList(grid_code="440402004005001", checkpoints=[
                  CheckpointInfo(id=f"cp-{i}", name=name, lat=22.2705 + i * 0.0005, lon=113.5305, radius_m=30,
                                 checklist=items) for i, name in enumerate(("3栋东门", "5栋消防通道", "电动车棚"))]),
              "hours": HoursBalance(person_id="p-patrol-01", system_units=9, certified_units=4, redeemed_units=2,
                                    balance_units=11, as_of=NOW),
              "watchlist": WatchList(day=NOW.astimezone(ZoneInfo("Asia/Shanghai")).date(), items=[
                  WatchItem(enrolment_id=f"e-{k}", resident_key=k * 64, label=label, grid_code="440402004005001",
                            window_start="07:00", deadline="21:00", role="patrol")
                  for k, label in (("a", "3栋2单元 独居老人A"), ("b", "6栋1单元 独居老人B"))])}
    for kind, body in bodies.items():
        store.store_downlink(DownlinkMessage(id=uuid7(), device_id=device_id, kind=kind,
                                             body=body.model_dump(mode="json"), created_at=NOW))


def seed(profile: str, data_dir: Path, device_id: str) -> None:
    store = TerminalStore(data_dir / "terminal.db", device_id)
    try:
        if profile == "kiosk":
            for days, title, text in [(2, "停水通知", "3月5日 9:00-17:00 福石路片区管网维修停水，请提前储水。"),
                                      (0, "社区议事会", "本周六上午在党群服务中心召开，欢迎居民参加。")]:
                body = NoticeBody(title=title, text=text, published_at=NOW - timedelta(days=days))
                store.store_downlink(DownlinkMessage(id=uuid7(), device_id=device_id, kind="notice",
                                                     body=body.model_dump(mode="json"), created_at=NOW))
        if profile == "tablet":  # a patrol under way for ten minutes: the map shows the walked L
            store.set_setting(STARTED_SETTING, (NOW - timedelta(minutes=10)).isoformat())
            walk = [(22.2705 + i * 0.0001, 113.5305) for i in range(16)] + \
                   [(22.2720, 113.5305 + i * 0.0001) for i in range(1, 14)]
            for lat, lon in walk:
                store.record_position(Position(lat=lat, lon=lon, accuracy_m=6.0))
            seed_watch_and_checkpoints(store, device_id)  # issue 19: checkpoints, hours, the grid's watch list
        if profile == "phone":
            first = None
            for level, title, hours in [("red", "井盖缺失（福石路12号）", 2), ("blue", "3号楼消防通道堵塞", 30)]:
                case_id = uuid7()
                first = first or case_id
                body = TaskBody(
                    case_id=case_id,
                    case_version=3,
                    case_state="dispatched",
                    role="handler",
                    category="C0101",
                    category_name="上水井盖",
                    category_name_en="Water supply manhole cover",
                    title=title,
                    note="现场有行人绊倒风险，请尽快处置",
                    level=level,
                    deadline=NOW + timedelta(hours=hours),
                    position={"lat": 22.2712, "lon": 113.5311, "accuracy_m": 6},
                    grid_code="440402004005001",
                    actions=["accept", "return"],
                )
                store.store_downlink(
                    DownlinkMessage(
                        id=uuid7(), device_id=device_id, kind="task", body=body.model_dump(mode="json"), created_at=NOW
                    )
                )
            store.set_setting(SELECTED_SETTING, first)
    finally:
        store.close()


def render(profile: str, tmp_path: Path, language: str = "zh", screen: str = "all") -> list[Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    device_id = f"{profile}-render-01"
    data = config_dict(tmp_path, device_id, language=language)
    if profile == "tablet":
        data["position"] = {"kind": "simulated", "waypoints": [[22.2720, 113.5319], [22.2725, 113.5325]]}
    config = tmp_path / f"{profile}.json"
    config.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    seed(profile, Path(data["data_dir"]), device_id)
    out = ARTIFACTS if language == "zh" else ARTIFACTS / language
    target = out if screen == "all" else out / f"{profile}_{screen}.png"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridline",
            "terminal",
            "run",
            "--profile",
            profile,
            "--config",
            str(config),
            "--screenshot",
            str(target),
            "--screen",
            screen,
            "--for",
            "0.5",
        ],
        cwd=REPO,
        env=kivy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [Path(line.split(": ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("screenshot: ")]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("profile", list(SCREENS))
def test_every_screen_renders(profile, language, tmp_path):
    """zh into test-artifacts/screens/, en into test-artifacts/screens/en/: one PNG per screen, each alone."""
    saved = render(profile, tmp_path, language)
    assert [p.name for p in saved] == [f"{profile}_{name}.png" for name in SCREENS[profile]]
    images = []
    for path in saved:
        image = cv2.imread(str(path))
        assert image is not None, path
        assert (image.shape[1], image.shape[0]) == SIZES[profile]
        assert image.std() > 20, f"{path.name} is nearly blank"
        # the status bar (top rows) is drawn in the offline colour: this device never reached a broker
        b, g, r = image[4, image.shape[1] // 3].astype(int)
        assert r > g + 40 and r > b + 40, f"{path.name}: status bar colour {(b, g, r)}"
        images.append(image)
    for a, b in zip(images, images[1:], strict=False):
        assert np.abs(a.astype(int) - b.astype(int)).mean() > 3, "two screens rendered the same picture"


def test_english_and_chinese_render_differently(tmp_path):
    [zh] = render("kiosk", tmp_path / "zh", screen="home")
    [en] = render("kiosk", tmp_path / "en", language="en", screen="home")
    zh_pixels, en_pixels = cv2.imread(str(zh)), cv2.imread(str(en))
    assert zh_pixels.shape == en_pixels.shape
    assert np.abs(zh_pixels.astype(int) - en_pixels.astype(int)).mean() > 1


def test_unknown_screen_is_refused(tmp_path):
    config = tmp_path / "kiosk.json"
    config.write_text(json.dumps(config_dict(tmp_path)), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridline",
            "terminal",
            "run",
            "--profile",
            "kiosk",
            "--config",
            str(config),
            "--screenshot",
            str(tmp_path / "x.png"),
            "--screen",
            "tasks",
        ],
        cwd=REPO,
        env=kivy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "home, report, checkin, notices" in done.stderr


def test_run_without_screenshot_starts_the_app_and_quits_after_for(tmp_path):
    """The interactive path (no --screenshot), here offscreen and time-boxed: builds, runs its ticks, exits 0."""
    config = tmp_path / "phone.json"
    config.write_text(json.dumps(config_dict(tmp_path, "phone-run-01")), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gridline",
            "terminal",
            "run",
            "--profile",
            "phone",
            "--config",
            str(config),
            "--for",
            "1.5",
            "--offline",
        ],
        cwd=REPO,
        env=kivy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_screen_all_draws_each_screen_alone(tmp_path):
    """``--screen all`` gives the same picture of a screen as rendering that screen by itself: nothing of the
    screen shown before it is left underneath (the back buffer once held the frame where both were children)."""
    saved = {p.name: p for p in render("tablet", tmp_path / "all", screen="all")}
    [alone] = render("tablet", tmp_path / "alone", screen="report")
    together, by_itself = cv2.imread(str(saved["tablet_report.png"])), cv2.imread(str(alone))
    body = slice(60, None)  # below the status bar (its "last sync" text may differ by a second)
    assert np.abs(together[body].astype(int) - by_itself[body].astype(int)).mean() < 1.0
