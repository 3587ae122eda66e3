"""The kiosk's success screen after a report: the receipt code at once (the report's record id's last 6 hex digits,
which the hub's lookup accepts), the case reference (FS-YYYYMMDD-NNNN) once the hub has made the case, and a QR of
whichever is best known, to photograph and show at any kiosk of the community (查进度).

The reference is asked for like any 查进度 (a ``LookupRequest`` by the receipt code): once, and again after each
``not_found`` answer while the screen is up (the hub makes the case shortly after it stores the report, so a first
answer may come too early). Offline, the one question waits in the outbox; questions do not pile up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from protocol import IncidentReport, LookupRequest
from terminal.app.i18n import Translator
from terminal.app.presenters.lookup import answers
from terminal.app.taxonomy import CategoryChoice
from terminal.camera.qr import qr_image
from terminal.clock import Clock, utc_now
from terminal.device import Device

ASK_EVERY = timedelta(seconds=2)
MAX_ASKS = 12


@dataclass(frozen=True)
class ReceiptView:
    receipt_code: str
    reference: str  # "" until the hub answered
    qr_text: str
    category: str
    sent: bool
    status: str
    reference_text: str


def receipt_code(report: IncidentReport) -> str:
    return report.id[-6:]



class ReceiptPresenter:
    def __init__(self, device: Device, tr: Translator, *, clock: Clock = utc_now):
        self.device, self.tr, self.clock = device, tr, clock
        self.clear()

    def clear(self) -> None:
        self.report: IncidentReport | None = None
        self.category: CategoryChoice | None = None
        self.reference = ""
        self._asks: list[LookupRequest] = []
        self._last_ask: datetime | None = None

    def show(self, report: IncidentReport, category: CategoryChoice | None = None) -> None:
        self.clear()
        self.report, self.category = report, category

    def poll(self) -> bool:
        """Called about once a second while the screen is up: take in an answer, ask again when due. True when the
        reference became known."""
        if self.report is None or self.reference:
            return False
        held = answers(self.device)
        for ask in self._asks:
            found = held.get(ask.id)
            if found is None:
                continue
            mine = [c for c in found[1].cases if c.receipt_code == receipt_code(self.report) and c.reference]
            if mine:
                self.reference = mine[0].reference or ""
                return True
        now = self.clock()
        if self._asks and self._asks[-1].id not in held:
            return False  # still on its way (offline: the outbox sends it once, no need to pile up questions)
        if len(self._asks) >= MAX_ASKS or (self._last_ask is not None and now - self._last_ask < ASK_EVERY):
            return False
        self._asks.append(self.device.lookup(receipt_code(self.report)))
        self._last_ask = now
        return False

    def view(self) -> ReceiptView | None:
        if self.report is None:
            return None
        code = receipt_code(self.report)
        state = self.device.store.outbox_state(self.report.id)
        sent = state == "acked"
        category = self.tr.pick(self.category.name_zh, self.category.name_en) if self.category else ""
        reference_text = self.reference or self.tr.t("report.success_reference_wait")
        return ReceiptView(code, self.reference, self.reference or code, category, sent,
                           self.tr.t("report.success_sent" if sent else "report.success_queued"), reference_text)

    def qr(self) -> np.ndarray | None:
        view = self.view()
        return qr_image(view.qr_text, module_px=14) if view else None
