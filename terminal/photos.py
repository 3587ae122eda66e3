"""Photo files on the terminal: content-addressed, durably written, read back in chunks.

A photo is named by its SHA-256, so the same picture attached twice is stored once and the
hub can verify what it assembled. Files are written to a temp name, fsynced and renamed, so a
power cut leaves either the whole photo or nothing under its final name.
"""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from protocol import MAX_CHUNK_BYTES, MAX_PHOTO_BYTES
from terminal.files import write_atomically

DEFAULT_CHUNK_BYTES = 32 * 1024


class PhotoCorruptError(RuntimeError):
    """A stored photo is missing or its bytes no longer hash to its name."""

    def __init__(self, sha256: str, reason: str):
        super().__init__(f"photo {sha256[:12]}… is unusable: {reason}")
        self.sha256 = sha256
        self.reason = reason


@dataclass(frozen=True)
class PhotoFile:
    sha256: str
    size: int
    path: Path
    chunk_size: int

    @property
    def chunk_count(self) -> int:
        return chunk_count(self.size, self.chunk_size)


def chunk_count(size: int, chunk_size: int) -> int:
    return max(1, math.ceil(size / chunk_size))


def check_chunk_size(chunk_size: int) -> int:
    if not 1024 <= chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk size must be 1 KiB..{MAX_CHUNK_BYTES} bytes, got {chunk_size}")
    return chunk_size


class PhotoStore:
    """The directory of photo files, ``<root>/<sha[:2]>/<sha>.jpg``."""

    def __init__(self, root: Path | str, chunk_size: int = DEFAULT_CHUNK_BYTES):
        self.root = Path(root)
        self.chunk_size = check_chunk_size(chunk_size)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.jpg"

    def save(self, data: bytes) -> PhotoFile:
        if not 0 < len(data) <= MAX_PHOTO_BYTES:
            raise ValueError(f"photo must be 1..{MAX_PHOTO_BYTES} bytes, got {len(data)}")
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha)
        if not (final.exists() and _file_sha256(final) == sha):
            write_atomically(final, data)
        return PhotoFile(sha, len(data), final, self.chunk_size)

    def read_verified(self, sha256: str, path: Path | str | None = None) -> bytes:
        """The whole photo, or :class:`PhotoCorruptError` if it is gone or altered on disk."""
        target = Path(path) if path else self.path_for(sha256)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise PhotoCorruptError(sha256, "file missing") from None
        except OSError as exc:
            raise PhotoCorruptError(sha256, f"unreadable: {exc}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoCorruptError(sha256, "hash mismatch")
        return data


def slice_chunk(data: bytes, index: int, chunk_size: int) -> bytes:
    start = index * chunk_size
    if index < 0 or start >= len(data):
        raise IndexError(f"chunk {index} is past the end of a {len(data)}-byte photo")
    return data[start:start + chunk_size]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()



def synthetic_photo(seed: int, width: int = 640, height: int = 480, quality: int = 85) -> bytes:
    """A deterministic street-scene-like JPEG: sky/ground gradient, buildings, a sign, sensor noise.

    Noise keeps it from compressing to nothing, so sizes (tens of KB at 640x480) resemble phone
    photos after the app's downscale and exercise multi-chunk uploads.
    """
    rng = random.Random(seed)
    npr = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.uint8)
    horizon = int(height * rng.uniform(0.35, 0.6))
    for y in range(height):  # sky to haze, then pavement
        t = y / max(1, horizon) if y < horizon else (y - horizon) / max(1, height - horizon)
        sky, ground = (235 - 60 * t, 200 - 40 * t, 150 + 40 * t), (90 + 40 * t, 95 + 40 * t, 100 + 40 * t)
        img[y, :] = sky if y < horizon else ground
    for _ in range(rng.randint(3, 7)):  # buildings with windows
        x0 = rng.randint(-40, width - 40)
        w, h = rng.randint(60, 200), rng.randint(80, max(90, horizon))
        colour = tuple(rng.randint(60, 220) for _ in range(3))
        cv2.rectangle(img, (x0, horizon - h), (x0 + w, horizon), colour, -1)
        for wy in range(horizon - h + 10, horizon - 15, 22):
            for wx in range(x0 + 8, x0 + w - 12, 20):
                cv2.rectangle(img, (wx, wy), (wx + 9, wy + 12), (40, 40, 50), -1)
    for _ in range(rng.randint(1, 4)):  # litter, puddles, a car: the things reports are about
        centre = (rng.randint(0, width), rng.randint(horizon, height))
        axes = (rng.randint(8, 60), rng.randint(5, 30))
        cv2.ellipse(img, centre, axes, rng.randint(0, 180), 0, 360, tuple(rng.randint(0, 255) for _ in range(3)), -1)
    label = f"GRID {seed % 1000:03d}"
    cv2.putText(img, label, (rng.randint(5, max(6, width - 200)), rng.randint(30, max(31, horizon))),
                cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2, cv2.LINE_AA)
    noise = npr.normal(0, 6, img.shape)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the synthetic photo")
    return encoded.tobytes()
