"""Fixtures for the app tests: contexts built from a real config, real stores, real camera providers.

The devices here are never started (no broker needed): presenters write to the durable outbox exactly as
they would online; the e2e tests cover sending.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from terminal.app.config import parse_config
from terminal.app.context import TerminalContext
from terminal.camera import FileCameraProvider, SyntheticCameraProvider

from ..helpers import StepClock

DEPLOYMENT_KEY = "app-test-deployment-key-01"
GRID_BBOX = [113.5300, 22.2700, 113.5330, 22.2730]
KIOSK_SPOT = (22.2715, 113.5315)
UNREACHABLE_BROKER = "mqtt://127.0.0.1:1"


def config_dict(tmp_path: Path, device_id: str = "kiosk-test-01", **overrides) -> dict:
    base = {"device_id": device_id, "deployment_key": DEPLOYMENT_KEY, "broker": UNREACHABLE_BROKER,
            "data_dir": str(tmp_path / device_id), "language": "zh",
            "grid": {"code": "440402004005001", "name": "福石社区第一网格", "bbox": GRID_BBOX},
            "position": {"kind": "fixed", "lat": KIOSK_SPOT[0], "lon": KIOSK_SPOT[1], "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    base.update(overrides)
    return base


@pytest.fixture
def clock():
    return StepClock()


@pytest.fixture
def make_context(tmp_path, clock):
    made: list[TerminalContext] = []

    def make(profile: str = "kiosk", *, device_id: str | None = None, start: bool = True, **kwargs) -> TerminalContext:
        config = parse_config(config_dict(tmp_path, device_id or f"{profile}-test-01"))
        kwargs.setdefault("clock", clock)
        ctx = TerminalContext(config, profile, **kwargs)
        made.append(ctx)
        if start:
            ctx.start(connect=False)
        return ctx

    yield make
    for ctx in made:
        ctx.stop()


def scene() -> np.ndarray:
    with SyntheticCameraProvider(seed=3) as camera:
        return camera.read_frame()


@pytest.fixture
def photo_files(tmp_path):
    """A good, a dark and a blurry photo of the same street, as image files a FileCameraProvider replays."""
    frame = scene()
    paths = {}
    for name, image in {"good": frame, "dark": (frame * 0.12).astype(np.uint8),
                        "blurry": cv2.GaussianBlur(frame, (0, 0), 6)}.items():
        paths[name] = tmp_path / f"{name}.png"
        cv2.imwrite(str(paths[name]), image)
    return paths


def file_camera(*paths: Path) -> FileCameraProvider:
    return FileCameraProvider(paths)
