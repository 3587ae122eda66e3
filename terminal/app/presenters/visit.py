"""入户走访 (home visit, 一表通) on the phone or tablet: the grid worker picks the building (楼栋, from the unit tree:
the grid's code + the building's 3-digit serial), types the household number (hashed at once with the deployment key,
like a resident card: never kept), says who was met (a category, never a name), writes a private note and tags the
needs, each with the level that must solve it (网格 / 社区 / 街道). Saving makes ONE record in the outbox (offline
too); the hub opens one service case per need, each in its own queue, all linked to the visit."""
from __future__ import annotations

import re
from dataclasses import dataclass

from protocol import HomeVisit, NeedKind, NeedLevel, VisitMet
from protocol.messages import MAX_NOTE_CHARS
from protocol.services import MAX_VISIT_NEEDS
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused
from terminal.device import Device
from terminal.residents import resident_key

BUILDING_SERIAL = re.compile(r"^[0-9]{1,3}$")
HOUSEHOLD = re.compile(r"^[0-9A-Za-z-]{1,24}$")


@dataclass(frozen=True)
class NeedRow:
    kind: str
    level: str
    text: str  # "法律 · 社区解决"


@dataclass(frozen=True)
class VisitView:
    building: str
    household_set: bool
    met: str
    met_choices: list[tuple[str, str]]  # (value, label)
    need_kinds: list[tuple[str, str]]
    need_levels: list[tuple[str, str]]
    needs: list[NeedRow]
    note: str
    message: str


class VisitFlow:
    def __init__(self, device: Device, tr: Translator, *, grid_code: str = ""):
        self.device, self.tr, self.grid_code = device, tr, grid_code
        self.last: HomeVisit | None = None
        self.reset()

    def reset(self) -> None:
        self.building_code: str | None = None
        self.household_key: str | None = None
        self.met = VisitMet.RESIDENT
        self.note = ""
        self.needs: list[tuple[NeedKind, NeedLevel]] = []
        self.level = NeedLevel.GRID
        self.message = ""

    # -- inputs ---------------------------------------------------------------------------------------------------
    def set_building(self, serial: str) -> bool:
        """The building's serial within the grid (1-999): code = grid code + 3 digits, as the unit tree has it."""
        serial = serial.strip()
        if not serial:
            self.building_code = None
            return True
        if not BUILDING_SERIAL.match(serial) or not self.grid_code.isdigit() or int(serial) == 0:
            self.message = self.tr.t("visit.building")
            return False
        self.building_code = f"{self.grid_code}{int(serial):03d}"
        return True

    def set_household(self, number: str) -> bool:
        number = number.strip()
        key = self.device.deployment_key
        if not HOUSEHOLD.match(number) or not key:
            self.message = self.tr.t("visit.household_bad")
            return False
        self.household_key = resident_key(f"{self.building_code or self.grid_code}/{number}", key)
        return True

    def choose_met(self, met: str) -> None:
        self.met = VisitMet(met)

    def set_note(self, text: str) -> None:
        self.note = text.strip()[:MAX_NOTE_CHARS]

    def choose_level(self, level: str) -> None:
        self.level = NeedLevel(level)

    def toggle_need(self, kind: str) -> None:
        """Tag (or untag) a need of ``kind`` at the level chosen now."""
        need = NeedKind(kind)
        held = [n for n in self.needs if n[0] == need]
        if held:
            self.needs = [n for n in self.needs if n[0] != need]
            return
        if len(self.needs) >= MAX_VISIT_NEEDS:
            self.message = self.tr.t("visit.too_many", n=MAX_VISIT_NEEDS)
            return
        self.needs.append((need, self.level))

    # -- view and save ----------------------------------------------------------------------------------------------
    def view(self) -> VisitView:
        t = self.tr.t
        return VisitView(
            building=self.building_code[-3:] if self.building_code else "",
            household_set=self.household_key is not None,
            met=self.met.value, met_choices=[(m.value, t(f"visit.met.{m.value}")) for m in VisitMet],
            need_kinds=[(k.value, t(f"visit.need.{k.value}")) for k in NeedKind],
            need_levels=[(lv.value, t(f"visit.level.{lv.value}")) for lv in NeedLevel],
            needs=[NeedRow(k.value, lv.value, f"{t(f'visit.need.{k.value}')} · {t(f'visit.level.{lv.value}')}")
                   for k, lv in self.needs],
            note=self.note, message=self.message)

    def submit(self) -> HomeVisit:
        if self.household_key is None and self.met != VisitMet.NOBODY:
            raise FlowRefused("visit.household_bad")
        record = self.device.visit([(k.value, lv.value) for k, lv in self.needs], grid_code=self.grid_code or None,
                                   building_code=self.building_code, household_key=self.household_key,
                                   met=self.met.value, private_note=self.note)
        count = len(self.needs)
        self.reset()
        self.last, self.message = record, self.tr.t("visit.saved", n=count)
        return record
