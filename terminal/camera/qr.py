"""Resident cards as QR codes, read by the kiosk camera.

The decoded card number is a national-ID-grade secret: ``scan_resident_key`` turns it into the keyed
hash at once, and that is what apps should call. ``read_resident_card`` exists for the same code path
and for tests; its result must go straight into ``terminal.residents.resident_key`` and nowhere else.
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from terminal.camera.providers import as_bgr
from terminal.residents import resident_key

MAX_CARD_CHARS = 64  # an ID number is 18; anything far longer is some other QR (a URL, a payment code)
QUIET_ZONE_MODULES = 4


def make_card_qr(card_number: str, *, module_px: int = 8) -> np.ndarray:
    """A BGR image of the card's QR with the standard 4-module quiet zone, for printing, tests and demos."""
    return qr_image(card_number, module_px=module_px)


def qr_image(text: str, *, module_px: int = 8) -> np.ndarray:
    """A BGR image of ``text`` as a QR code with the standard quiet zone (OpenCV's encoder: no extra library)."""
    matrix = cv2.QRCodeEncoder.create().encode(text)
    if matrix is None or matrix.size == 0:
        raise ValueError("text could not be encoded as QR")
    # The encoder leaves a 2-module margin; scanners want 4, so pad to that before scaling up.
    border = max(0, QUIET_ZONE_MODULES - quiet_margin(matrix))
    matrix = cv2.copyMakeBorder(matrix, border, border, border, border, cv2.BORDER_CONSTANT, value=255)
    image = cv2.resize(matrix, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def quiet_margin(matrix: np.ndarray) -> int:
    dark_rows = np.flatnonzero((matrix < 128).any(axis=1))
    return int(dark_rows[0]) if dark_rows.size else 0


def plausible_card(text: str) -> bool:
    stripped = "".join(text.split())
    return 0 < len(stripped) <= MAX_CARD_CHARS and stripped.isascii() and stripped.isalnum()


def read_qr(frame: np.ndarray, accept: Callable[[str], bool] = bool) -> str | None:
    """The text of the QR code in view if ``accept`` takes it, else None. OpenCV's ArUco-based detector first: on a
    frame without a code it costs a sixth of the classic one (11 against 66-76 ms at 1280x720), and it read every one
    of 1,000 checkpoint codes, of which the classic detector missed 12 however cleanly printed. The classic one
    stays as a second try, on colour and grey."""
    image = as_bgr(frame)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    for detector, candidate in ((cv2.QRCodeDetectorAruco(), grey), (cv2.QRCodeDetector(), image),
                                (cv2.QRCodeDetector(), grey)):
        try:
            text, _, _ = detector.detectAndDecode(candidate)
        except cv2.error:
            continue
        if text and accept(text):
            return str(text)
    return None


def read_resident_card(frame: np.ndarray, *, detect_long_side: int = 1280) -> str | None:
    """The card number in the frame's QR code, or None if there is no readable card QR."""
    image = as_bgr(frame)
    scale = min(1.0, detect_long_side / max(image.shape[:2]))
    if scale < 1:  # the detector's cost grows with pixels; a held-up card is large in the frame anyway
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return read_qr(image, plausible_card)


def scan_resident_key(frame: np.ndarray, deployment_key: str | bytes) -> str | None:
    """The resident key (keyed hash) for the card in view; the raw number never leaves this function."""
    card = read_resident_card(frame)
    return None if card is None else resident_key(card, deployment_key)
