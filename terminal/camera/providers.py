"""Where frames come from: a real camera, image files, or a generated scene for CI and demos.

Every provider hands out BGR ``uint8`` arrays (OpenCV's layout) so the pipeline never guesses.
"""
from __future__ import annotations

import abc
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np


class CameraError(RuntimeError):
    """The camera could not be opened or produced no frame; the app should tell the user, not retry silently."""


class CameraProvider(abc.ABC):
    @abc.abstractmethod
    def open(self) -> None: ...

    @abc.abstractmethod
    def read_frame(self) -> np.ndarray:
        """One BGR uint8 frame (H x W x 3); raises CameraError if none can be had."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> CameraProvider:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Grey or BGRA images become BGR; anything else that is not 8-bit BGR is refused."""
    if image.dtype != np.uint8:
        raise CameraError(f"expected 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise CameraError(f"unsupported image shape {image.shape}")


class OpenCVCameraProvider(CameraProvider):
    """A V4L2/USB/CSI camera by index (0) or device path ("/dev/video2") through cv2.VideoCapture."""

    def __init__(self, source: int | str = 0, *, width: int | None = None, height: int | None = None,
                 warmup_frames: int = 3):
        self.source = source
        self.width, self.height = width, height
        # Auto-exposure needs a few frames to settle; the first ones are often black or washed out.
        self.warmup_frames = warmup_frames
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self.source)
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"cannot open camera {self.source!r}")
        if self.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        for _ in range(self.warmup_frames):
            capture.read()
        self._capture = capture

    def read_frame(self) -> np.ndarray:
        if self._capture is None:
            raise CameraError("camera is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError(f"camera {self.source!r} returned no frame")
        return as_bgr(frame)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class FileCameraProvider(CameraProvider):
    """Cycles through image files: replaying field photos on a desk, or tests."""

    def __init__(self, paths: Iterable[str | Path]):
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("FileCameraProvider needs at least one image path")
        self._cycle: Iterator[Path] | None = None

    def open(self) -> None:
        missing = [str(p) for p in self.paths if not p.is_file()]
        if missing:
            raise CameraError(f"image files not found: {', '.join(missing)}")
        self._cycle = itertools.cycle(self.paths)

    def read_frame(self) -> np.ndarray:
        if self._cycle is None:
            raise CameraError("file camera is not open")
        path = next(self._cycle)
        # imdecode over fromfile so non-ASCII (Chinese) paths work on every platform.
        frame = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise CameraError(f"cannot decode image {path}")
        return frame

    def close(self) -> None:
        self._cycle = None


class SyntheticCameraProvider(CameraProvider):
    """Deterministic street-like scenes drawn with cv2 (sky, buildings, windows, a sign, sensor noise).

    ``held_item`` (e.g. a resident card QR) is pasted with a mild random perspective, as if held up to a kiosk.
    """

    def __init__(self, seed: int = 0, size: tuple[int, int] = (1280, 720), *, held_item: np.ndarray | None = None,
                 noise_sigma: float = 4.0):
        self.seed = seed
        self.width, self.height = size
        self.held_item = None if held_item is None else as_bgr(held_item)
        self.noise_sigma = noise_sigma
        self._frame_no: int | None = None

    def open(self) -> None:
        self._frame_no = 0

    def read_frame(self) -> np.ndarray:
        if self._frame_no is None:
            raise CameraError("synthetic camera is not open")
        rng = np.random.default_rng((self.seed, self._frame_no))
        self._frame_no += 1
        frame = draw_scene(rng, self.width, self.height, self.noise_sigma)
        if self.held_item is not None:
            frame = place_item(frame, self.held_item, rng)
        return frame

    def close(self) -> None:
        self._frame_no = None


def draw_scene(rng: np.random.Generator, width: int, height: int, noise_sigma: float) -> np.ndarray:
    horizon = int(height * rng.uniform(0.45, 0.65))
    frame = np.empty((height, width, 3), np.uint8)
    sky = np.linspace(rng.uniform(150, 220), rng.uniform(90, 150), horizon)[:, None]
    frame[:horizon] = np.stack([sky + 30, sky + 10, sky], axis=-1).clip(0, 255).astype(np.uint8)
    frame[horizon:] = rng.integers(60, 110, 3).astype(np.uint8)
    x = 0
    while x < width:  # buildings with lit and dark windows
        w = int(rng.uniform(0.08, 0.2) * width)
        top = int(rng.uniform(0.1, 0.8) * horizon)
        colour = tuple(int(c) for c in rng.integers(70, 200, 3))
        cv2.rectangle(frame, (x, top), (x + w, horizon), colour, -1)
        step = max(6, w // 6)
        for wx in range(x + step // 2, x + w - step // 2, step):
            for wy in range(top + step // 2, horizon - step, step):
                lit = (220, 230, 240) if rng.random() < 0.4 else (40, 40, 50)
                cv2.rectangle(frame, (wx, wy), (wx + step // 2, wy + step // 2), lit, -1)
        x += w + int(rng.uniform(0, 0.03) * width)
    scale = height / 720
    cv2.putText(frame, f"GRID {int(rng.integers(1, 99)):02d}", (int(0.05 * width), height - int(40 * scale)),
                cv2.FONT_HERSHEY_SIMPLEX, 1.5 * scale, (255, 255, 255), max(1, int(3 * scale)), cv2.LINE_AA)
    centre = (int(rng.uniform(0.2, 0.8) * width), int(rng.uniform(horizon, height)))
    cv2.circle(frame, centre, int(rng.uniform(0.02, 0.06) * width), (30, 160, 230), -1, cv2.LINE_AA)
    if noise_sigma > 0:
        noise = rng.normal(0, noise_sigma, frame.shape)
        frame = (frame + noise).clip(0, 255).astype(np.uint8)
    return frame


def place_item(frame: np.ndarray, item: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Warp ``item`` into the middle third of the frame with up to ~12 % corner jitter (a tilted card)."""
    h, w = frame.shape[:2]
    side = min(h, w) * rng.uniform(0.35, 0.5)
    cx, cy = w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.6)
    square = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * side / 2
    corners = square + rng.uniform(-0.12, 0.12, (4, 2)).astype(np.float32) * side + np.array([cx, cy], np.float32)
    ih, iw = item.shape[:2]
    source = np.array([[0, 0], [iw, 0], [iw, ih], [0, ih]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(item, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ih, iw), 255, np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST)
    out = frame.copy()
    out[mask > 0] = warped[mask > 0]
    return out


def camera_from_config(config: Mapping[str, Any]) -> CameraProvider:
    """``{"kind": "opencv", "device": 0}``, ``{"kind": "file", "paths": [...]}`` or ``{"kind": "synthetic"}``."""
    kind = config.get("kind")
    if kind == "opencv":
        return OpenCVCameraProvider(config.get("device", 0), width=config.get("width"), height=config.get("height"))
    if kind == "file":
        paths: Sequence[str] = config.get("paths") or []
        return FileCameraProvider(paths)
    if kind == "synthetic":
        size = tuple(config.get("size", (1280, 720)))
        return SyntheticCameraProvider(int(config.get("seed", 0)), (int(size[0]), int(size[1])))
    raise ValueError(f"unknown camera kind {kind!r} (expected opencv, file or synthetic)")
