"""process_photo on real pixels: a real photograph with a real face (scikit-image's astronaut) and drawn scenes."""
from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from terminal.camera import QualityIssue, QualityThresholds, SyntheticCameraProvider, process_photo
from terminal.camera.pipeline import detect_faces

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def scene_12mp() -> np.ndarray:
    with SyntheticCameraProvider(seed=7, size=(4000, 3000)) as camera:
        return camera.read_frame()


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def laplacian_var(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def jpeg_markers(jpeg: bytes) -> list[int]:
    """Segment markers up to start-of-scan, walked by their length fields (not a substring search)."""
    assert jpeg[:2] == b"\xff\xd8"
    markers, offset = [], 2
    while offset < len(jpeg):
        assert jpeg[offset] == 0xFF
        marker = jpeg[offset + 1]
        markers.append(marker)
        if marker == 0xDA:  # SOS: entropy-coded data follows
            break
        offset += 2 + int.from_bytes(jpeg[offset + 2:offset + 4], "big")
    return markers


def test_face_in_real_photo_is_blurred_before_encoding(astronaut):
    faces = detect_faces(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY))
    assert len(faces) == 1, "the cascade must find the astronaut's face in the input"
    x, y, w, h = faces[0]

    photo = process_photo(astronaut)
    assert photo.faces_blurred == 1
    out = decode(photo.jpeg)
    assert out.shape == astronaut.shape  # 512 px: not resized, so the face box lines up
    before, after = astronaut[y:y + h, x:x + w], out[y:y + h, x:x + w]
    assert laplacian_var(after) < 0.05 * laplacian_var(before)
    assert np.abs(after.astype(int) - before.astype(int)).mean() > 10
    assert detect_faces(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)) == []
    assert detect_faces(cv2.cvtColor(decode(photo.thumbnail), cv2.COLOR_BGR2GRAY)) == []


def test_sharp_well_lit_photo_is_ok(astronaut):
    photo = process_photo(astronaut)
    assert photo.verdict.issue is QualityIssue.OK and photo.verdict.ok
    assert photo.blur_score > 200
    assert 60 < photo.brightness < 200


def test_heavy_blur_is_too_blurry(astronaut, scene_12mp):
    for frame in (astronaut, scene_12mp):
        photo = process_photo(cv2.GaussianBlur(frame, (0, 0), 8))
        assert photo.verdict.issue is QualityIssue.TOO_BLURRY, photo.blur_score
        assert "模糊" in photo.verdict.message_zh and "blurry" in photo.verdict.message_en


def test_underexposed_is_too_dark_and_overexposed_too_bright(astronaut):
    dark = process_photo(cv2.convertScaleAbs(astronaut, alpha=0.12))
    assert dark.verdict.issue is QualityIssue.TOO_DARK and "暗" in dark.verdict.message_zh
    bright = process_photo(cv2.convertScaleAbs(astronaut, alpha=1.0, beta=160))
    assert bright.verdict.issue is QualityIssue.TOO_BRIGHT and "overexposed" in bright.verdict.message_en


def test_thresholds_are_configurable(astronaut):
    strict = QualityThresholds(min_blur_score=1e9)
    assert process_photo(astronaut, thresholds=strict).verdict.issue is QualityIssue.TOO_BLURRY


def test_resize_bound_thumbnail_and_hash(scene_12mp):
    photo = process_photo(scene_12mp)
    out = decode(photo.jpeg)
    assert (photo.width, photo.height) == (1600, 1200) == (out.shape[1], out.shape[0])
    assert max(decode(photo.thumbnail).shape[:2]) == 320
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()
    assert len(photo.thumbnail) < len(photo.jpeg)
    assert set(photo.timings_ms) >= {"resize", "quality", "detect_faces", "encode", "total"}


def test_small_photo_is_not_upscaled_and_caller_frame_untouched(astronaut):
    original = astronaut.copy()
    photo = process_photo(astronaut, max_long_side=1600)
    assert (photo.width, photo.height) == (512, 512)
    assert np.array_equal(astronaut, original), "face blurring must not write into the caller's frame"


def test_jpeg_carries_no_exif_or_app1(astronaut):
    photo = process_photo(astronaut)
    for jpeg in (photo.jpeg, photo.thumbnail):
        markers = jpeg_markers(jpeg)
        assert 0xE1 not in markers, "APP1 (EXIF/XMP) segment present"
        assert b"Exif" not in jpeg[:4096]


def test_grey_frame_accepted(astronaut):
    grey = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    photo = process_photo(grey)
    assert decode(photo.jpeg).shape == (512, 512, 3)
