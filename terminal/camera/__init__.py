"""Camera capture and photo processing for terminal apps (no UI: kivy screens sit on top of this)."""
from __future__ import annotations

from terminal.camera.pipeline import ProcessedPhoto, QualityIssue, QualityThresholds, QualityVerdict, process_photo
from terminal.camera.providers import (
    CameraError,
    CameraProvider,
    FileCameraProvider,
    OpenCVCameraProvider,
    SyntheticCameraProvider,
    camera_from_config,
)
from terminal.camera.qr import make_card_qr, read_resident_card, scan_resident_key

__all__ = [
    "CameraError", "CameraProvider", "FileCameraProvider", "OpenCVCameraProvider", "SyntheticCameraProvider",
    "camera_from_config", "ProcessedPhoto", "QualityIssue", "QualityThresholds", "QualityVerdict", "process_photo",
    "make_card_qr", "read_resident_card", "scan_resident_key",
]
