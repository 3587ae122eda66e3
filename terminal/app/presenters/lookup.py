"""查进度: a resident types (or scans) a case reference or receipt code; the kiosk asks the hub over MQTT
(``LookupRequest``, outboxed like any record) and shows the answer (``LookupAnswer``, a ``lookup`` downlink) in plain
words: state, deadline, the approved public note and the result photo's thumbnail.

Answers stay in the device inbox, so a question asked before shows its last answer at once — offline too — while a
fresh one is on its way. Nothing here identifies a resident: answers carry no personal data (``hub/lookup``).
"""
from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from protocol import LookupAnswer, LookupCase, LookupRequest
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused, local_time
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera import CameraError
from terminal.camera.providers import as_bgr
from terminal.camera.qr import read_qr
from terminal.clock import Clock, utc_now
from terminal.device import Device

log = logging.getLogger(__name__)

MAX_QUERY = 32
RECEIPT_CODE = re.compile(r"^[0-9a-f]{6}$")
REFERENCE = re.compile(r"^[A-Z][A-Z0-9]{0,9}-?\d{8}-?\d{1,6}$")
_LABEL = re.compile(r"^(编号|回执码|回执|案件编号|REF|NO\.?|#)[:：]?", re.IGNORECASE)


def normalise_query(text: str) -> str | None:
    """What a resident typed or scanned as a query the hub understands: a receipt code (6 hex digits, lower case) or
    a reference (upper case, dashes kept as typed); None when it can be neither."""
    text = _LABEL.sub("", "".join(text.split()))
    if RECEIPT_CODE.match(text.lower()):
        return text.lower()
    upper = text.upper()
    return upper if REFERENCE.match(upper) and len(upper) <= MAX_QUERY else None


@dataclass(frozen=True)
class CaseView:
    title: str  # the reference, else the receipt code
    category: str
    state: str  # plain words for residents
    state_key: str
    reported: str
    deadline: str
    overdue: bool
    note: str
    thumbnail: bytes | None


@dataclass(frozen=True)
class LookupView:
    status: str  # idle | waiting | found | not_found | refused
    headline: str
    cases: list[CaseView] = field(default_factory=list)
    query: str = ""


def answers(device: Device) -> dict[str, tuple[str, LookupAnswer]]:
    """request id → (inbox message id, answer) of every lookup answer the kiosk holds."""
    found: dict[str, tuple[str, LookupAnswer]] = {}
    for entry in device.inbox():
        if entry.kind != "lookup":
            continue
        try:
            answer = LookupAnswer.model_validate(entry.body)
        except ValueError as exc:
            log.warning("inbox %s: unreadable lookup answer: %s", entry.id, exc)
            continue
        found[answer.request_id] = (entry.id, answer)
    return found


def latest_answer_for(device: Device, query: str) -> LookupAnswer | None:
    """The newest answer the kiosk holds for ``query`` (offline viewing)."""
    same = [a for _, a in answers(device).values() if a.query == query]
    return max(same, key=lambda a: a.answered_at) if same else None


class LookupFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, clock: Clock = utc_now,
                 online: Callable[[], bool] | None = None):
        self.device, self.photos, self.tr, self.clock = device, photos, tr, clock
        self.online = online or (lambda: device.status().online)
        self.reset()

    def reset(self) -> None:
        self.query = ""
        self.request: LookupRequest | None = None
        self.message = ""

    # --- typing (the on-screen keypad) ----------------------------------------------------------
    def set_query(self, text: str) -> None:
        self.query = "".join(text.split())[:MAX_QUERY]

    # --- asking -------------------------------------------------------------------------------
    def ask(self, text: str | None = None) -> LookupRequest:
        if text is not None:
            self.set_query(text)
        query = normalise_query(self.query)
        if query is None:
            raise FlowRefused("lookup.query_bad")
        self.query, self.message = query, ""
        self.request = self.device.lookup(query)
        return self.request

    def scan(self) -> bool:
        """One look through the camera for a receipt QR; a readable one is asked at once."""
        try:
            frame = as_bgr(self.photos.frame())
        except CameraError as exc:
            self.message = self.tr.t("report.no_camera", error=exc)
            return False
        text = read_qr(frame)  # a receipt QR holds the reference or the receipt code
        query = normalise_query(text) if text else None
        if query is None:
            self.message = self.tr.t("lookup.scan_none")
            return False
        self.ask(query)
        return True

    # --- the answer -----------------------------------------------------------------------------
    def answer(self) -> LookupAnswer | None:
        if self.request is None:
            return None
        found = answers(self.device).get(self.request.id)
        return found[1] if found else None

    def view(self) -> LookupView:
        if self.request is None:
            # the prompt is already beside the keypad: before a question, say where the number is
            return LookupView("idle", self.message or self.tr.t("lookup.where"), query=self.query)
        answer = self.answer()
        if answer is not None:
            return self._answered(answer, "lookup.found")
        waiting = self.tr.t("lookup.waiting" if self.online() else "lookup.waiting_offline")
        cached = latest_answer_for(self.device, self.request.query)
        if cached is not None:
            shown = self._answered(cached, "lookup.cached")
            return LookupView("waiting", f"{waiting} · {shown.headline}", shown.cases, self.query)
        return LookupView("waiting", waiting, query=self.query)

    def _answered(self, answer: LookupAnswer, headline_key: str) -> LookupView:
        when = local_time(answer.answered_at)
        if answer.status == "refused":
            return LookupView("refused", self.tr.t("lookup.refused"), query=answer.query)
        if answer.status == "not_found" or not answer.cases:
            return LookupView("not_found", self.tr.t("lookup.not_found"), query=answer.query)
        cases = [self.case_view(c, answer.answered_at) for c in answer.cases]
        return LookupView("found", self.tr.t(headline_key, when=when), cases, answer.query)

    def case_view(self, case: LookupCase, now: datetime) -> CaseView:
        tr = self.tr
        overdue = case.deadline is not None and case.deadline < now and case.state not in _DONE
        if case.deadline is None:
            deadline = tr.t("lookup.no_deadline") if case.state in ("reported", "filed") else ""
        else:
            deadline = tr.t("lookup.deadline", when=local_time(case.deadline))
        return CaseView(
            title=case.reference or case.receipt_code or "", category=tr.pick(case.category_name, case.category_name_en)
            or case.category, state=tr.t(f"lookup.state.{case.state}") if f"lookup.state.{case.state}" in
            tr.catalogue else tr.t(f"state.{case.state}"), state_key=case.state,
            reported=tr.t("lookup.reported", when=local_time(case.reported_at)), deadline=deadline, overdue=overdue,
            note=tr.t("lookup.note", text=case.public_note) if case.public_note else "",
            thumbnail=_thumbnail(case.result_thumbnail))


_DONE = frozenset({"resolved", "verified", "closed", "not_filed"})


def _thumbnail(text: str) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None

