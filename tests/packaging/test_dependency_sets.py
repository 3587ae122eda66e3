"""Each role installs only what it runs: ``gridline[hub]`` pulls no Kivy or OpenCV, ``gridline[terminal]`` no
SQLAlchemy, psycopg or shapely, the core (protocol) only pydantic. Checked twice: the dependency sets resolved from
the installed packages' own metadata (what pip would install for that extra), and the code itself - the hub serves
and the terminal's apps and simulator load with the other role's packages made unimportable."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest
from packaging.requirements import Requirement

HUB_NEVER = {"kivy", "opencv-python-headless", "opencv-python", "iotcore"}
TERMINAL_NEVER = {"sqlalchemy", "psycopg", "psycopg-binary", "shapely", "alembic", "fastapi", "uvicorn",
                  "prometheus-client", "openpyxl", "argon2-cffi", "pillow"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def resolved(extras: set[str]) -> set[str]:
    """The distributions ``pip install 'gridline[extras]'`` brings, from the installed metadata (this venv has every
    extra installed: ./dev.sh installs gridline[test,dev])."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("gridline", frozenset(extras))]
    while todo:
        dist, wanted = todo.pop()
        for text in metadata.requires(dist) or []:
            req = Requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({"extra": extra}) for extra in (wanted or {""})):
                continue
            name = _name(req.name)
            if name == "gridline":  # gridline[hub,terminal] inside an extra
                todo.append(("gridline", frozenset(req.extras)))
                continue
            if name not in seen:
                seen.add(name)
                todo.append((req.name, frozenset(req.extras)))
    return seen


def test_the_core_is_pydantic_alone():
    assert {"pydantic"} <= resolved(set()) and not resolved(set()) & (HUB_NEVER | TERMINAL_NEVER | {"paho-mqtt"})


def test_the_hub_pulls_no_kivy_or_opencv():
    hub = resolved({"hub"})
    assert {"fastapi", "sqlalchemy", "psycopg", "paho-mqtt", "pillow"} <= hub
    assert not hub & HUB_NEVER, hub & HUB_NEVER


def test_the_terminal_pulls_no_database_server_or_geometry_stack():
    terminal = resolved({"terminal"})
    assert {"kivy", "opencv-python-headless", "paho-mqtt", "sqlite-utils"} <= terminal
    assert not terminal & TERMINAL_NEVER, terminal & TERMINAL_NEVER


def test_the_demo_and_the_tests_have_both_roles():
    assert {"kivy", "fastapi", "iotcore"} <= resolved({"demo"}) <= resolved({"test"})


def test_sqlite_utils_floor_has_atomic():
    req = next(req for req in map(Requirement, metadata.requires("gridline") or []) if req.name == "sqlite-utils")
    assert not req.specifier.contains("3.38") and req.specifier.contains("4.0")  # Database.atomic() came in 4.0


def _run_without(blocked: set[str], code: str, tmp_path) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where importing any of ``blocked`` fails as if it were not installed."""
    script = textwrap.dedent(f"""
        import importlib.abc, sys
        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {sorted(blocked)!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None
        sys.meta_path.insert(0, Absent())
    """) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SDL_VIDEODRIVER": "offscreen",
                               "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_FILELOG": "1"})


def test_the_hub_serves_and_thumbnails_without_opencv_or_kivy(tmp_path):
    done = _run_without({"cv2", "kivy", "terminal"}, """
        import io
        from fastapi.testclient import TestClient
        from PIL import Image
        from hub.app import create_app
        from hub.cases.thumbnails import make_thumbnail
        from hub.settings import HubSettings
        with TestClient(create_app(HubSettings(data_dir="data"), start_bridge=False)) as client:
            assert client.get("/api/health").status_code == 200
        photo = io.BytesIO(); Image.new("RGB", (1600, 1200), (90, 120, 60)).save(photo, "JPEG")
        thumb = make_thumbnail(photo.getvalue())
        assert Image.open(io.BytesIO(thumb)).size == (160, 120), Image.open(io.BytesIO(thumb)).size
        import gridline.cli
        assert gridline.cli.main(["hub", "migrate", "--help"]) == 0
    """, tmp_path)
    assert "SystemExit: 0" in done.stderr or done.returncode == 0, done.stderr[-3000:]
    missing = _run_without({"cv2", "kivy", "terminal"}, """
        import gridline.cli
        raise SystemExit(gridline.cli.main(["terminal", "enroll"]))
    """, tmp_path)
    assert missing.returncode == 2 and "pip install 'gridline[terminal]'" in missing.stderr, missing.stderr[-2000:]


def test_the_terminal_apps_and_simulator_load_without_the_hub_stack(tmp_path):
    done = _run_without({"sqlalchemy", "psycopg", "shapely", "alembic", "fastapi", "uvicorn", "hub"}, """
        import terminal.cli, terminal.simulate, terminal.app.ui.app
        from terminal.camera import SyntheticCameraProvider, process_photo
        with SyntheticCameraProvider() as camera:
            assert process_photo(camera.read_frame()).jpeg[:2] == b"\\xff\\xd8"
        import gridline.cli
        gridline.cli.main(["terminal", "--help"])
    """, tmp_path)
    assert "usage: gridline terminal" in done.stdout, done.stderr[-3000:]


@pytest.mark.parametrize("extra", ["hub", "terminal"])
def test_an_install_without_the_other_role_explains_itself(extra, tmp_path):
    other = "terminal" if extra == "hub" else "hub"
    blocked = {"cv2", "kivy"} if extra == "hub" else {"sqlalchemy", "fastapi"}
    done = _run_without(blocked, """
        import gridline.cli
        raise SystemExit(gridline.cli.main(["demo"]))
    """, tmp_path)
    assert done.returncode == 2 and "pip install 'gridline[demo]'" in done.stderr, (other, done.stderr[-2000:])
