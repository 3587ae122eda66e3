"""From a raw camera frame to the JPEG a report carries: quality check, face blurring, resize, encode, hash.

Privacy first: faces are blurred on the resized pixels *before* anything is encoded, so no un-blurred
copy ever reaches disk. cv2.imencode writes a bare JFIF (no EXIF), so neither the device's GPS nor its
clock leaks through the file; position and time travel only in the report record.
"""
from __future__ import annotations

import enum
import hashlib
import time
from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np

from protocol.labels import LABELS
from terminal.camera.providers import as_bgr


class QualityIssue(str, enum.Enum):
    OK = "ok"
    TOO_BLURRY = "too_blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"


# The advice in both languages: protocol.labels' photo.* entries, the same words the apps show (quality.*).
MESSAGES: dict[QualityIssue, tuple[str, str]] = {
    issue: (LABELS["zh-CN"][f"photo.{issue.value}"], LABELS["en"][f"photo.{issue.value}"]) for issue in QualityIssue
}


@dataclass(frozen=True)
class QualityVerdict:
    issue: QualityIssue

    @property
    def ok(self) -> bool:
        return self.issue is QualityIssue.OK

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.issue][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.issue][1]


@dataclass(frozen=True)
class QualityThresholds:
    """Defaults tuned on real photos at the stored size (long side ≤ 1600); scores depend on resolution."""
    min_blur_score: float = 60.0      # variance of the Laplacian below this: no usable edges
    min_brightness: float = 45.0      # mean grey level 0..255
    max_brightness: float = 215.0
    max_dark_fraction: float = 0.6    # share of pixels at ≤ 10: crushed shadows
    max_bright_fraction: float = 0.5  # share of pixels at ≥ 245: blown highlights


@dataclass(frozen=True)
class ProcessedPhoto:
    jpeg: bytes
    thumbnail: bytes
    sha256: str
    width: int
    height: int
    blur_score: float
    brightness: float
    faces_blurred: int
    verdict: QualityVerdict
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)


DARK_LEVEL, BRIGHT_LEVEL = 10, 245


def judge_quality(grey: np.ndarray, thresholds: QualityThresholds) -> tuple[float, float, QualityVerdict]:
    blur_score = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    histogram = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel() / grey.size
    brightness = float(np.dot(histogram, np.arange(256)))
    dark, bright = float(histogram[:DARK_LEVEL + 1].sum()), float(histogram[BRIGHT_LEVEL:].sum())
    # Exposure first: a black frame also has no edges, and "too dark" is the advice that helps.
    if brightness < thresholds.min_brightness or dark > thresholds.max_dark_fraction:
        issue = QualityIssue.TOO_DARK
    elif brightness > thresholds.max_brightness or bright > thresholds.max_bright_fraction:
        issue = QualityIssue.TOO_BRIGHT
    elif blur_score < thresholds.min_blur_score:
        issue = QualityIssue.TOO_BLURRY
    else:
        issue = QualityIssue.OK
    return blur_score, brightness, QualityVerdict(issue)


@cache
def cascade(name: str) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]  # cv2.data is there at run time; the stubs omit it
    if classifier.empty():
        raise RuntimeError(f"Haar cascade {name} missing from this OpenCV build")
    return classifier


Rect = tuple[int, int, int, int]


def detect_faces(grey: np.ndarray, *, detect_long_side: int = 512, profiles: bool = True,
                 profile_long_side: int = 384) -> list[Rect]:
    """Face boxes (x, y, w, h) in ``grey``'s coordinates.

    Detection runs on copies scaled down for speed (Haar cost grows with pixels): frontal faces smaller
    than ~24 px at ``detect_long_side`` (about 75 px in a 1600 px photo) are missed, and profiles smaller
    than ~100 px; close-up people are blurred, distant bystanders may not be. The profile cascade runs on
    the image and its mirror, since it only knows one facing direction.
    """
    found = scaled_detect(grey, "haarcascade_frontalface_default.xml", detect_long_side, mirrored=False)
    if profiles:
        found += scaled_detect(grey, "haarcascade_profileface.xml", profile_long_side, mirrored=True)
    return merge_boxes(found)


def scaled_detect(grey: np.ndarray, cascade_name: str, long_side: int, *, mirrored: bool) -> list[Rect]:
    scale = min(1.0, long_side / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
    small = cv2.equalizeHist(small)
    classifier = cascade(cascade_name)

    def detect(image: np.ndarray) -> list[Rect]:
        return [(int(x), int(y), int(w), int(h))
                for x, y, w, h in classifier.detectMultiScale(image, scaleFactor=1.2, minNeighbors=5, minSize=(24, 24))]

    boxes = detect(small)
    if mirrored:
        width = small.shape[1]
        boxes += [(width - x - w, y, w, h) for x, y, w, h in detect(cv2.flip(small, 1))]
    return [(round(x / scale), round(y / scale), round(w / scale), round(h / scale)) for x, y, w, h in boxes]


def merge_boxes(boxes: list[Rect]) -> list[Rect]:
    """One box per face: frontal and profile hits on the same head would otherwise count twice."""
    merged: list[Rect] = []
    for x, y, w, h in sorted(boxes, key=lambda b: -b[2] * b[3]):
        for i, (mx, my, mw, mh) in enumerate(merged):
            ix = max(0, min(x + w, mx + mw) - max(x, mx))
            iy = max(0, min(y + h, my + mh) - max(y, my))
            if ix * iy > 0.3 * min(w * h, mw * mh):
                nx, ny = min(x, mx), min(y, my)
                merged[i] = (nx, ny, max(x + w, mx + mw) - nx, max(y + h, my + mh) - ny)
                break
        else:
            merged.append((x, y, w, h))
    return merged


def blur_regions(image: np.ndarray, boxes: list[Rect], *, padding: float = 0.3) -> None:
    """Pixelate to ~6 cells across then Gaussian-smooth each padded box, in place.

    Pixelation destroys identity; the blur hides the blocky edges so the photo still reads naturally.
    Padding covers hair, ears and chin that the cascade's tight box leaves out.
    """
    height, width = image.shape[:2]
    for x, y, w, h in boxes:
        pad_x, pad_y = int(w * padding), int(h * padding)
        x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
        x1, y1 = min(width, x + w + pad_x), min(height, y + h + pad_y)
        region = image[y0:y1, x0:x1]
        if region.size == 0:
            continue
        cells = cv2.resize(region, (6, max(1, round(6 * (y1 - y0) / (x1 - x0)))), interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(cells, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        sigma = max(2.0, (x1 - x0) / 12)
        region[:] = cv2.GaussianBlur(blocky, (0, 0), sigma)


def fit_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # INTER_AREA averages source pixels: no aliasing, and it is the fastest correct choice for big shrinks.
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def process_photo(frame: np.ndarray, *, max_long_side: int = 1600, jpeg_quality: int = 80,
                  thumbnail_long_side: int = 320, thumbnail_quality: int = 70,
                  thresholds: QualityThresholds = QualityThresholds(), blur_faces: bool = True,
                  detect_long_side: int = 512, profile_faces: bool = True) -> ProcessedPhoto:
    """Process one captured frame; the verdict is advice for the UI (retake?), the photo is returned regardless."""
    timings: dict[str, float] = {}
    started = last = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal last
        now = time.perf_counter()
        timings[step] = (now - last) * 1000
        last = now

    image = fit_long_side(as_bgr(frame), max_long_side)
    if image is frame:
        image = frame.copy()  # blurring is in place; never modify the caller's frame
    lap("resize")
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    blur_score, brightness, verdict = judge_quality(grey, thresholds)
    lap("quality")
    faces = detect_faces(grey, detect_long_side=detect_long_side, profiles=profile_faces) if blur_faces else []
    lap("detect_faces")
    blur_regions(image, faces)
    lap("blur_faces")
    jpeg = encode_jpeg(image, jpeg_quality)
    lap("encode")
    thumbnail = encode_jpeg(fit_long_side(image, thumbnail_long_side), thumbnail_quality)
    lap("thumbnail")
    digest = hashlib.sha256(jpeg).hexdigest()
    lap("sha256")
    timings["total"] = (last - started) * 1000
    return ProcessedPhoto(jpeg=jpeg, thumbnail=thumbnail, sha256=digest, width=image.shape[1], height=image.shape[0],
                          blur_score=blur_score, brightness=brightness, faces_blurred=len(faces), verdict=verdict,
                          timings_ms=timings)
