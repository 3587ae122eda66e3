"""Face blurring needs a face detector: terminal/camera/pipeline.py uses OpenCV's Haar cascades, which OpenCV 5's
wheels no longer ship. YuNet (cv2.FaceDetectorYN) would replace them, but its model file
(face_detection_yunet_2023mar.onnx, opencv_zoo) is in no package on the registries these machines reach (PyPI,
Debian, npm: searched 2026-12-05), so the pin opencv<5 stays. This test fails loudly if the pin is lifted, or an
install lacks the cascades, before a single photo could leave a terminal with a face unblurred."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import cv2
from packaging.requirements import Requirement

from terminal.camera import pipeline

CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml")


def test_opencv_stays_below_5_until_a_detector_without_cascades_exists():
    pins = [Requirement(r) for r in metadata.requires("gridline") or [] if Requirement(r).name.startswith("opencv")]
    assert pins, "OpenCV is no longer a dependency: what blurs faces now?"
    for pin in pins:
        assert not pin.specifier.contains("5.0.0"), (
            f"{pin} admits OpenCV 5, whose wheels have no Haar cascades: add a detector that needs none "
            "(YuNet with a packaged model) before lifting the pin")
    assert int(cv2.__version__.split(".")[0]) < 5


def test_the_cascades_the_pipeline_loads_are_installed_and_load():
    for name in CASCADES:
        assert (Path(cv2.data.haarcascades) / name).is_file(), name  # type: ignore[attr-defined]
        assert not pipeline.cascade(name).empty(), name
