"""After a service check-in (法律咨询 / 矛盾调解 / 报修 / 其他) at the kiosk: the receipt code at once (the check-in's
record id's last 6 hex digits) and the case reference (FS-YYYYMMDD-NNNN) once the hub has opened the service case.

Asked like any 查进度 (a ``LookupRequest`` by the receipt code): once, and again after each answer without the case
while the screen shows it. Offline, the one question waits in the outbox; questions do not pile up."""
from __future__ import annotations

from datetime import datetime, timedelta

from protocol import CheckinKind, LookupRequest, ResidentCheckin
from terminal.app.i18n import Translator
from terminal.app.presenters.lookup import answers
from terminal.clock import Clock, utc_now
from terminal.device import Device

ASK_EVERY = timedelta(seconds=2)
MAX_ASKS = 12


class ServiceReceipt:
    def __init__(self, device: Device, tr: Translator, *, clock: Clock = utc_now):
        self.device, self.tr, self.clock = device, tr, clock
        self.clear()

    def clear(self) -> None:
        self.checkin: ResidentCheckin | None = None
        self.reference = ""
        self._asks: list[LookupRequest] = []
        self._last_ask: datetime | None = None

    @property
    def code(self) -> str:
        return self.checkin.id[-6:] if self.checkin is not None else ""

    def show(self, checkin: ResidentCheckin) -> bool:
        """Follow ``checkin`` when it is a service request; False (nothing to follow) for a wellbeing one."""
        self.clear()
        if checkin.checkin_kind == CheckinKind.WELLBEING:
            return False
        self.checkin = checkin
        return True

    def poll(self) -> bool:
        """About once a second while shown: take in an answer, ask again when due. True when the reference came."""
        if self.checkin is None or self.reference:
            return False
        held = answers(self.device)
        for ask in self._asks:
            found = held.get(ask.id)
            mine = [c for c in found[1].cases if c.receipt_code == self.code and c.reference] if found else []
            if mine:
                self.reference = mine[0].reference or ""
                return True
        now = self.clock()
        if self._asks and self._asks[-1].id not in held:
            return False
        if len(self._asks) >= MAX_ASKS or (self._last_ask is not None and now - self._last_ask < ASK_EVERY):
            return False
        self._asks.append(self.device.lookup(self.code))
        self._last_ask = now
        return False

    def text(self) -> str:
        if self.checkin is None:
            return ""
        if self.reference:
            return self.tr.t("service.reference", ref=self.reference)
        return self.tr.t("service.reference_wait", code=self.code)
