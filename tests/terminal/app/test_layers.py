"""The layering the app is built on: presenters, context and config never import kivy; the UI is thin."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[3] / "terminal" / "app"


def test_presenters_and_context_load_without_kivy():
    code = ("import sys, terminal.app.context, terminal.app.presenters.tasks, terminal.app.presenters.patrol; "
            "print(sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_one_kv_file_per_screen_and_no_kivy_outside_ui():
    from terminal.app.ui.boot import WINDOW_SIZES

    kv_files = {p.name for p in (APP_DIR / "kv").glob("*.kv")}
    screen_kv = {"kiosk_home.kv", "report.kv", "checkin.kv", "notices.kv", "patrol.kv", "tasks.kv", "task_detail.kv",
                 "lookup.kv", "report_done.kv", "deliberation.kv", "followup.kv", "visit.kv", "watch.kv",
                 "checkpoint.kv", "hours.kv"}
    assert kv_files == screen_kv | {"widgets.kv"}
    assert set(WINDOW_SIZES) == {"kiosk", "tablet", "phone"}
    for path in APP_DIR.rglob("*.py"):
        if "ui" in path.relative_to(APP_DIR).parts:
            continue
        assert "import kivy" not in path.read_text() and "from kivy" not in path.read_text(), path
