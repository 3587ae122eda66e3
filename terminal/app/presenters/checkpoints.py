"""巡查点 on the patrol tablet: scan a checkpoint's QR (OpenCV, as the kiosk reads check-in cards) with the GPS fix,
see whether the fix lies within the checkpoint's radius (else the visit is flagged - the hub decides, the tablet
says so at once), run its hazard checklist (消防通道畅通 / 电动车不在楼道充电 / 燃气…) and finish: each failed item
files an IncidentReport with its photo under the item's category (so a case, the usual way), and one
``checkpoint`` record names the results and those reports. Offline too: everything is outboxed.

Also the volunteer's own hour balance (the hub's ``hours`` downlink): 信用时, 荣誉时, 兑换 and what is left.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from protocol import (
    ChecklistItem,
    ChecklistResult,
    CheckpointInfo,
    CheckpointList,
    CheckpointVisit,
    HoursBalance,
    parse_checkpoint_qr,
)
from protocol import Position as WirePosition
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.photo import PhotoTaker
from terminal.camera import CameraError
from terminal.camera.qr import read_qr
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.position.providers import Fix

log = logging.getLogger(__name__)


def read_checkpoint_qr(frame: np.ndarray) -> str | None:
    """The checkpoint id in the frame's QR code (``GLCP:{id}``), or None (no QR, or some other QR)."""
    text = read_qr(frame, lambda t: parse_checkpoint_qr(t) is not None)
    return None if text is None else parse_checkpoint_qr(text)


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@dataclass
class Visit:
    checkpoint: CheckpointInfo
    fix: Fix | None
    distance_m: float | None
    answers: dict[str, bool] = field(default_factory=dict)
    photos: dict[str, bytes] = field(default_factory=dict)

    @property
    def within(self) -> bool:
        return self.distance_m is not None and self.distance_m <= self.checkpoint.radius_m


@dataclass(frozen=True)
class ItemView:
    code: str
    text: str
    answer: str  # "" | ok | failed
    has_photo: bool


class CheckpointFlow:
    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, *, fix: Callable[[], Fix | None],
                 patrol_started: Callable[[], datetime | None] = lambda: None, clock: Clock = utc_now):
        self.device, self.photos, self.tr, self.fix, self.clock = device, photos, tr, fix, clock
        self.patrol_started = patrol_started
        self.visit: Visit | None = None
        self.message = ""
        self.done: list[CheckpointVisit] = []

    # -- what the hub sent ----------------------------------------------------------------------------------------
    def _newest(self, kind: str) -> dict | None:
        entries = [e for e in self.device.inbox() if e.kind == kind]
        return max(entries, key=lambda e: e.created_at).body if entries else None

    def checkpoint_list(self) -> CheckpointList | None:
        body = self._newest("checkpoints")
        try:
            return CheckpointList.model_validate(body) if body is not None else None
        except ValueError as exc:
            log.warning("unreadable checkpoint list: %s", exc)
            return None

    def balance(self) -> HoursBalance | None:
        body = self._newest("hours")
        return HoursBalance.model_validate(body) if body is not None else None

    def balance_lines(self) -> list[tuple[str, str]]:
        """(label, hours) rows for the balance screen; half-hour units shown as hours."""
        held = self.balance()
        if held is None:
            return []
        hours = lambda units: self.tr.t("hours.value", h=f"{units / 2:g}")
        return [(self.tr.t("hours.system"), hours(held.system_units)),
                (self.tr.t("hours.certified"), hours(held.certified_units)),
                (self.tr.t("hours.redeemed"), hours(held.redeemed_units)),
                (self.tr.t("hours.balance"), hours(held.balance_units))]

    def route(self) -> list[tuple[CheckpointInfo, bool]]:
        """The grid's checkpoints in route order, each with whether this tablet visited it on this patrol."""
        listed = self.checkpoint_list()
        if listed is None:
            return []
        order = {cid: i for i, cid in enumerate(listed.route)}
        visited = {v.checkpoint_id for v in self.done}
        points = sorted(listed.checkpoints, key=lambda c: (order.get(c.id, len(order)), c.name))
        return [(c, c.id in visited) for c in points]

    # -- scanning -------------------------------------------------------------------------------------------------
    def scan(self) -> bool:
        """One look through the camera for a checkpoint QR (the screen calls this a few times a second)."""
        try:
            found = read_checkpoint_qr(self.photos.frame())
        except CameraError:
            self.message = self.tr.t("checkpoint.no_camera")
            return False
        return self.scan_text(f"GLCP:{found}") if found else False

    def scan_text(self, text: str) -> bool:
        checkpoint_id = parse_checkpoint_qr(text)
        listed = self.checkpoint_list()
        point = next((c for c in (listed.checkpoints if listed else []) if c.id == checkpoint_id), None)
        if point is None:
            self.message = self.tr.t("checkpoint.unknown")
            return False
        fix = self.fix()
        dist = metres_between(fix.lat, fix.lon, point.lat, point.lon) if fix is not None else None
        self.visit = Visit(point, fix, dist)
        if dist is None:
            self.message = self.tr.t("checkpoint.no_fix")
        elif self.visit.within:
            self.message = self.tr.t("checkpoint.here", name=point.name, m=round(dist))
        else:
            self.message = self.tr.t("checkpoint.far", name=point.name, m=round(dist), r=round(point.radius_m))
        return True

    # -- the checklist ----------------------------------------------------------------------------------------------
    def _item(self, code: str) -> ChecklistItem:
        visit = self._current()
        item = next((i for i in visit.checkpoint.checklist if i.code == code), None)
        if item is None:
            raise FlowRefused("checkpoint.unknown_item")
        return item

    def _current(self) -> Visit:
        if self.visit is None:
            raise FlowRefused("checkpoint.scan_first")
        return self.visit

    def items(self) -> list[ItemView]:
        visit = self.visit
        if visit is None:
            return []
        return [ItemView(i.code, self.tr.pick(i.text, i.text_en),
                         "" if i.code not in visit.answers else "ok" if visit.answers[i.code] else "failed",
                         i.code in visit.photos) for i in visit.checkpoint.checklist]

    def answer(self, code: str, ok: bool) -> None:
        self._item(code)
        visit = self._current()
        visit.answers[code] = ok
        if ok:
            visit.photos.pop(code, None)

    def photograph(self, code: str) -> None:
        """The photo of a failed item (faces blurred, as every report photo)."""
        self._item(code)
        visit = self._current()
        if visit.answers.get(code) is not False:
            raise FlowRefused("checkpoint.photo_for_failed")
        try:
            visit.photos[code] = self.photos.take().jpeg
        except CameraError:
            raise FlowRefused("checkpoint.no_camera") from None

    def finish(self) -> CheckpointVisit:
        """Every item answered, every failed one photographed: reports for the failures, then the visit."""
        visit = self._current()
        items = visit.checkpoint.checklist
        if any(i.code not in visit.answers for i in items):
            raise FlowRefused("checkpoint.answer_all")
        failed = [i for i in items if not visit.answers[i.code]]
        if any(i.code not in visit.photos for i in failed):
            raise FlowRefused("checkpoint.photo_needed")
        fix, point = visit.fix, visit.checkpoint
        at = (fix.lat, fix.lon, fix.accuracy_m or 10.0) if fix else (point.lat, point.lon, point.radius_m)
        reports = {}
        for item in failed:
            note = self.tr.t("checkpoint.report_note", name=point.name, item=item.text)
            reports[item.code] = self.device.report(item.category, at[0], at[1], accuracy_m=at[2], note=note,
                                                    photos=[visit.photos[item.code]]).id
        results = [ChecklistResult(item=i.code, ok=visit.answers[i.code], report_id=reports.get(i.code))
                   for i in items]
        record = self.device.checkpoint_visit(
            point.id, results=results, patrol_started_at=self.patrol_started(),
            position=WirePosition(lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m or 0.0) if fix else None)
        self.done.append(record)
        self.visit = None
        self.message = self.tr.t("checkpoint.saved", name=point.name, n=len(failed))
        return record
