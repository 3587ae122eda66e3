"""Resident check-in at the kiosk: scan the card's QR (or type its number), pick why you came, done.

The card number is turned into the deployment's keyed hash at once and never kept: this presenter only
ever holds ``resident_key``.
"""
from __future__ import annotations

from collections.abc import Callable

from protocol import CheckinKind, ResidentCheckin
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, read_card
from terminal.app.presenters.keypad import press
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera.qr import MAX_CARD_CHARS, plausible_card
from terminal.device import Device
from terminal.position import Fix
from terminal.residents import resident_key

KINDS = [CheckinKind.WELLBEING, CheckinKind.SERVICE_LEGAL, CheckinKind.SERVICE_MEDIATION, CheckinKind.SERVICE_REPAIR,
         CheckinKind.SERVICE_OTHER]


class CheckinFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, position: Callable[[], Fix | None]):
        if not device.deployment_key:
            raise ValueError("check-in needs the deployment key in the app config")
        self.device, self.photos, self.tr, self.position = device, photos, tr, position
        self.reset()

    def reset(self) -> None:
        self.card_digits = ""  # typed on the on-screen pad; hashed and forgotten by use_typed_card()
        self.resident_key: str | None = None
        self.kind: CheckinKind | None = None
        self.note = ""
        self.message = ""
        self.last_checkin: ResidentCheckin | None = None

    @property
    def _deployment_key(self) -> str | bytes:
        key = self.device.deployment_key
        assert key is not None  # __init__ refuses a device without one
        return key

    def kind_label(self, kind: CheckinKind | str) -> str:
        return self.tr.t(f"checkin.{CheckinKind(kind).value}")

    def scan(self) -> bool:
        """One look through the camera for a card QR (the screen calls this a few times a second while scanning)."""
        key, self.message = read_card(self.photos, self._deployment_key, self.tr, none_key="checkin.scan_none",
                                      ok_key="checkin.scanned")
        if key is None:
            return False
        self.resident_key = key
        return True

    def type_card(self, number: str) -> bool:
        if not plausible_card(number):
            self.message = self.tr.t("checkin.card_bad")
            return False
        self.resident_key = resident_key(number, self._deployment_key)
        self.message = self.tr.t("checkin.scanned")
        return True

    def press_card_key(self, key: str) -> None:
        """One key of the on-screen number pad (digits, X of an ID number, delete)."""
        self.card_digits = press(self.card_digits, key, max_len=MAX_CARD_CHARS)

    def masked_card(self) -> str:
        """What the screen shows of the typed number: its length as dots and the last two characters."""
        digits = self.card_digits
        return "•" * max(0, len(digits) - 2) + digits[-2:] if digits else ""

    def use_typed_card(self) -> bool:
        typed, self.card_digits = self.card_digits, ""
        return self.type_card(typed)

    def choose_kind(self, kind: CheckinKind | str) -> None:
        self.kind = CheckinKind(kind)

    def set_note(self, text: str) -> None:
        self.note = text.strip()[:MAX_NOTE_CHARS]

    def submit(self) -> ResidentCheckin:
        if self.resident_key is None:
            raise FlowRefused("checkin.card_needed")
        if self.kind is None:
            raise FlowRefused("checkin.kind_needed")
        fix = self.position()
        if fix is not None and fix.accuracy_m is not None:
            record = self.device.checkin(self.kind, resident_key_hex=self.resident_key, note=self.note, lat=fix.lat,
                                         lon=fix.lon, accuracy_m=fix.accuracy_m)
        else:
            record = self.device.checkin(self.kind, resident_key_hex=self.resident_key, note=self.note)
        self.reset()
        self.last_checkin, self.message = record, self.tr.t("checkin.done")
        return record
