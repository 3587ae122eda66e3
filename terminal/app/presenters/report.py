"""Report a problem (kiosk) or a hazard (patrol tablet): photo → quality check → category → note, urgency, place.

Nothing is sent from here: ``submit`` writes the report and its photo to the device's durable outbox and
returns at once, online or not.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from protocol import IncidentReport, Severity
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.i18n import Translator
from terminal.app.presenters.category_icons import CategoryIcon, icon_for
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.gridmap import GridMap, PickedPlace
from terminal.app.presenters.keypad import PHRASES, add_phrase
from terminal.app.presenters.photo import PhotoTaker
from terminal.app.taxonomy import CategoryChoice
from terminal.camera import CameraError, ProcessedPhoto
from terminal.device import Device
from terminal.position import Fix

SEVERITIES = [Severity.LOW, Severity.NORMAL, Severity.HIGH, Severity.URGENT]


def cell_label(row: int, col: int) -> str:
    """A map cell's name as on a printed street map: rows A, B, C from the north, columns 1-4 from the west."""
    return f"{chr(ord('A') + row)}{col + 1}"


@dataclass(frozen=True)
class CategoryItem:
    code: str
    name: str
    icon: CategoryIcon
    chosen: bool


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    accuracy_m: float
    source: str  # "device" (fixed kiosk / GPS fix) | "map"
    cell: tuple[int, int] | None = None


class ReportFlow:
    category: CategoryChoice | None  # set by reset(); __init__ calls set_categories() before that

    def __init__(self, device: Device, photos: PhotoTaker, tr: Translator, categories: Sequence[CategoryChoice], *,
                 position: Callable[[], Fix | None], grid_map: GridMap | None = None, require_photo: bool = True):
        self.device, self.photos, self.tr = device, photos, tr
        self.set_categories(categories)
        self.position, self.grid_map, self.require_photo = position, grid_map, require_photo
        self.reset()

    def set_categories(self, categories: Sequence[CategoryChoice]) -> None:
        """A new list from the hub; a category already chosen stays chosen only if it is still offered."""
        self.categories = list(categories)
        self._by_code = {c.code: c for c in self.categories}
        chosen = getattr(self, "category", None)
        if chosen is not None and chosen.code not in self._by_code:
            self.category = None

    def reset(self) -> None:
        self.photo: ProcessedPhoto | None = None
        self.message = ""  # the last advice shown under the preview
        self.category = None
        self.note = ""
        self.severity = Severity.NORMAL
        self.place: Place | None = None  # None: the device's position at submit time
        self.last_report: IncidentReport | None = None
        self.resident_key: str | None = None  # a card tapped before reporting (optional): asked for 回访 later

    # --- the reporter's card (optional) --------------------------------------------------------------
    def use_card(self, resident_key: str) -> None:
        """The resident tapped their card first: the report carries its keyed hash (never the number), so the hub
        can ask them for a follow-up (回访) on a later tap at any kiosk of the community."""
        self.resident_key = resident_key
        self.message = self.tr.t("followup.card_on_report")

    # --- photo -----------------------------------------------------------------------------
    def capture(self) -> bool:
        """Take and check a photo; True if it is good enough to keep. A bad one is discarded with advice."""
        try:
            processed = self.photos.take()
        except CameraError as exc:
            self.photo, self.message = None, self.tr.t("report.no_camera", error=exc)
            return False
        if not processed.verdict.ok:
            self.photo, self.message = None, self.tr.t(f"quality.{processed.verdict.issue.value}")
            return False
        self.photo = processed
        self.message = self.tr.t("report.photo_ok")
        if processed.faces_blurred:
            self.message += " · " + self.tr.t("report.faces_blurred", n=processed.faces_blurred)
        return True

    # --- category, note, severity ------------------------------------------------------------
    def majors(self) -> list[tuple[str, str]]:
        """(key, label) per major class, in list order; key is kind:major."""
        seen: dict[str, str] = {}
        for c in self.categories:
            seen.setdefault(f"{c.kind}:{c.major_code}", c.major_name_zh or c.major_code)
        return list(seen.items())

    def categories_in(self, major_key: str | None = None) -> list[CategoryChoice]:
        return [c for c in self.categories if major_key is None or f"{c.kind}:{c.major_code}" == major_key]

    def category_label(self, c: CategoryChoice) -> str:
        """The category's name in the reader's language: residents never see codes (E0101)."""
        return f"{self.tr.pick(c.name_zh, c.name_en)}"

    def category_items(self, major_key: str | None = None) -> list[CategoryItem]:
        """What the category list shows: icon badge and name, never the code."""
        return [CategoryItem(c.code, self.category_label(c), icon_for(c), self.category is c)
                for c in self.categories_in(major_key)]

    # --- on-screen input: common phrases (常用语) ---------------------------------------------------
    def phrases(self) -> list[tuple[str, str]]:
        return [(key, self.tr.t(key)) for key in PHRASES]

    def add_phrase(self, phrase: str) -> str:
        self.note = add_phrase(self.note, phrase, max_len=MAX_NOTE_CHARS)
        return self.note

    def choose_category(self, code: str) -> None:
        if code not in self._by_code:
            raise FlowRefused("report.category_needed")
        self.category = self._by_code[code]
        if self.category.urgent and self.severity in (Severity.LOW, Severity.NORMAL):
            self.severity = Severity.HIGH  # manholes, gas: urgent by the taxonomy, the reporter may raise it further

    def set_note(self, text: str) -> None:
        self.note = text.strip()[:MAX_NOTE_CHARS]

    def set_severity(self, value: Severity | str) -> None:
        self.severity = Severity(value)

    def severity_label(self, value: Severity | str) -> str:
        return self.tr.t(f"severity.{Severity(value).value}")

    # --- place -------------------------------------------------------------------------------
    def use_device_position(self) -> Place:
        fix = self.position()
        if fix is None or fix.accuracy_m is None:
            raise FlowRefused("report.position_needed")
        self.place = Place(fix.lat, fix.lon, fix.accuracy_m, "device")
        return self.place

    def pick_on_map(self, row: int, col: int) -> Place:
        if self.grid_map is None:
            raise FlowRefused("report.position_needed")
        picked: PickedPlace = self.grid_map.pick(row, col)
        self.place = Place(picked.lat, picked.lon, picked.accuracy_m, "map", (row, col))
        return self.place

    def place_text(self) -> str:
        if self.place is not None and self.place.source == "map":
            cell = self.place.cell
            assert cell is not None  # pick_on_map() always records the cell of a "map" place
            return self.tr.t("report.map_area", area=cell_label(*cell))
        fix = self.position()
        if fix is None or fix.accuracy_m is None:
            return self.tr.t("report.position_none")
        if fix.source == "fixed":
            return self.tr.t("report.position_fixed")
        return self.tr.t("report.position_current", acc=int(round(fix.accuracy_m)))

    # --- submit ------------------------------------------------------------------------------
    def missing(self) -> list[str]:
        gaps = []
        if self.require_photo and self.photo is None:
            gaps.append("report.photo_needed")
        if self.category is None:
            gaps.append("report.category_needed")
        if self.place is None:
            fix = self.position()
            if fix is None or fix.accuracy_m is None:
                gaps.append("report.position_needed")
        return gaps

    def submit(self) -> IncidentReport:
        gaps = self.missing()
        if gaps:
            raise FlowRefused(gaps[0])
        assert self.category is not None  # missing() refuses a report without one
        place = self.place or self.use_device_position()
        report = self.device.report(self.category.code, place.lat, place.lon, accuracy_m=place.accuracy_m,
                                    note=self.note, severity=self.severity,
                                    photos=[self.photo.jpeg] if self.photo else [], resident_key=self.resident_key)
        self.reset()
        self.last_report = report
        self.message = self.tr.t("report.done", ref=report.id[-6:])
        return report
