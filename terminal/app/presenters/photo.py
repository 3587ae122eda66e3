"""One camera shared by a profile's screens: live preview frames and processed captures, errors as refusals."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from terminal.camera import CameraError, CameraProvider, ProcessedPhoto, process_photo


class PhotoTaker:
    def __init__(self, camera: CameraProvider, *, process: Callable[[np.ndarray], ProcessedPhoto] = process_photo):
        self.camera, self.process = camera, process
        self._open = False
        self.error: str | None = None

    def frame(self) -> np.ndarray:
        """The camera's current frame (preview or capture); CameraError if it cannot give one."""
        try:
            if not self._open:
                self.camera.open()
                self._open = True
            frame = self.camera.read_frame()
        except CameraError as exc:
            self.error = str(exc)
            raise
        self.error = None
        return frame

    def take(self) -> ProcessedPhoto:
        """Blur score, exposure, faces blurred, JPEG without EXIF: the photo as it may leave the device."""
        return self.process(self.frame())

    def close(self) -> None:
        if self._open:
            self.camera.close()
            self._open = False
