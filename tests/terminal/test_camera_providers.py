"""Camera providers that run without hardware (files, synthetic), and the real one failing clearly."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from terminal.camera import (
    CameraError,
    FileCameraProvider,
    OpenCVCameraProvider,
    SyntheticCameraProvider,
    camera_from_config,
)


def test_synthetic_frames_are_bgr_deterministic_and_vary():
    with SyntheticCameraProvider(seed=4, size=(640, 360)) as camera:
        first, second = camera.read_frame(), camera.read_frame()
    with SyntheticCameraProvider(seed=4, size=(640, 360)) as again:
        assert np.array_equal(again.read_frame(), first)
    assert first.shape == (360, 640, 3) and first.dtype == np.uint8
    assert not np.array_equal(first, second)
    assert first.std() > 20  # a scene, not a flat fill


def test_file_camera_cycles_through_images(tmp_path):
    paths = []
    for i, colour in enumerate([(0, 0, 255), (0, 255, 0)]):
        path = tmp_path / f"巡查照片{i}.png"  # non-ASCII names are normal on Chinese deployments
        assert cv2.imencode(".png", np.full((40, 60, 3), colour, np.uint8))[1].tofile(str(path)) is None
        paths.append(path)
    with FileCameraProvider(paths) as camera:
        frames = [camera.read_frame() for _ in range(3)]
    assert [tuple(int(v) for v in f[0, 0]) for f in frames] == [(0, 0, 255), (0, 255, 0), (0, 0, 255)]


def test_file_camera_reports_missing_and_undecodable_files(tmp_path):
    with pytest.raises(CameraError, match="not found"):
        FileCameraProvider([tmp_path / "nope.jpg"]).open()
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with FileCameraProvider([junk]) as camera, pytest.raises(CameraError, match="decode"):
        camera.read_frame()


def test_unopenable_device_raises_camera_error(tmp_path):
    with pytest.raises(CameraError, match="cannot open"):
        OpenCVCameraProvider(str(tmp_path / "video99")).open()
    with pytest.raises(CameraError, match="not open"):
        OpenCVCameraProvider(0).read_frame()


def test_camera_from_config(tmp_path):
    assert isinstance(camera_from_config({"kind": "synthetic", "seed": 2, "size": [320, 240]}),
                      SyntheticCameraProvider)
    assert isinstance(camera_from_config({"kind": "file", "paths": [str(tmp_path / "a.jpg")]}), FileCameraProvider)
    opencv = camera_from_config({"kind": "opencv", "device": "/dev/video2", "width": 1920})
    assert isinstance(opencv, OpenCVCameraProvider) and opencv.source == "/dev/video2"
    with pytest.raises(ValueError, match="unknown camera kind"):
        camera_from_config({"kind": "webcam"})
