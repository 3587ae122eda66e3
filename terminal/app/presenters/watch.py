"""1+1+N on the helper's phone: today's residents to watch (the hub's ``watchlist`` downlink), each with one tap for
平安 or 异常 and the signs seen (窗帘 / 灯光 / 用水 / 用电 / 燃气 / 交谈) - recorded as ``observation`` records, offline
too, judged by the hub at this moment of the phone's clock however late they sync.

A resident shows as done (平安 HH:MM, or 异常 HH:MM) once this phone recorded an observation for them on the list's
day; a 平安 after a 异常 does not hide the 异常 (the hub's case stands until staff close it). Nothing here holds more
than the card's keyed hash and the staff's non-identifying label.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from protocol import HelperObservation, WatchList, WatchSign, WatchVerdict
from protocol.messages import MAX_NOTE_CHARS
from terminal.app.i18n import Translator
from terminal.app.presenters.common import FlowRefused
from terminal.clock import Clock, utc_now
from terminal.device import Device

log = logging.getLogger(__name__)

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
SIGNS = tuple(WatchSign)


@dataclass(frozen=True)
class WatchRow:
    resident_key: str
    label: str
    times: str  # "07:00 起 · 21:00 前"
    state: str  # todo | safe | abnormal
    state_text: str
    signs: list[tuple[str, str, bool]]  # (value, label, selected)


class WatchFlow:
    def __init__(self, device: Device, tr: Translator, *, clock: Clock = utc_now, tz: ZoneInfo = DEFAULT_TZ,
                 via: str = "helper"):
        self.device, self.tr, self.clock, self.tz, self.via = device, tr, clock, tz, via
        self.selected: dict[str, set[str]] = {}
        self.notes: dict[str, str] = {}
        self.message = ""

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def watch_list(self) -> WatchList | None:
        """The newest list the hub sent (a later list replaces an earlier one)."""
        newest: tuple[str, WatchList] | None = None
        for entry in self.device.inbox():
            if entry.kind != "watchlist":
                continue
            try:
                body = WatchList.model_validate(entry.body)
            except ValueError as exc:
                log.warning("inbox %s: unreadable watch list: %s", entry.id, exc)
                continue
            if newest is None or entry.created_at >= newest[0]:
                newest = (entry.created_at, body)
        return newest[1] if newest else None

    def _done(self, day: date) -> dict[str, HelperObservation]:
        """resident → the observation that shows: the day's 异常 if any, else its latest 平安."""
        done: dict[str, HelperObservation] = {}
        for made in self.device.store.observations_made():
            if made.created_at.astimezone(self.tz).date() != day:
                continue
            seen = done.get(made.resident_key)
            if seen is None or seen.verdict is not WatchVerdict.ABNORMAL:
                done[made.resident_key] = made
        return done

    def rows(self) -> list[WatchRow]:
        listed = self.watch_list()
        if listed is None or listed.day != self.today():
            return []  # no list yet, or yesterday's: nothing to watch today until the hub's list arrives
        done = self._done(listed.day)
        rows = []
        for item in listed.items:
            made = done.get(item.resident_key)
            if made is None:
                state, text = "todo", self.tr.t("watch.todo")
            else:
                state = made.verdict.value
                text = self.tr.t(f"watch.done.{state}", at=made.created_at.astimezone(self.tz).strftime("%H:%M"))
            chosen = self.selected.get(item.resident_key, set())
            rows.append(WatchRow(item.resident_key, item.label or self.tr.t("watch.no_label"),
                                 self.tr.t("watch.times", start=item.window_start, deadline=item.deadline),
                                 state, text, [(s.value, self.tr.t(f"watch.sign.{s.value}"), s.value in chosen)
                                               for s in SIGNS]))
        order = {"abnormal": 0, "todo": 1, "safe": 2}
        return sorted(rows, key=lambda r: order[r.state])  # what still needs a look first

    def summary(self) -> str:
        rows = self.rows()
        if not rows:
            return self.tr.t("watch.empty")
        left = sum(1 for r in rows if r.state == "todo")
        return self.tr.t("watch.summary", total=len(rows), left=left)

    def toggle_sign(self, resident_key: str, sign: str) -> None:
        WatchSign(sign)  # refuses a value the protocol does not know
        chosen = self.selected.setdefault(resident_key, set())
        chosen.symmetric_difference_update({sign})

    def set_note(self, resident_key: str, text: str) -> None:
        self.notes[resident_key] = text.strip()[:MAX_NOTE_CHARS]

    def _listed(self, resident_key: str) -> None:
        listed = self.watch_list()
        if listed is None or all(i.resident_key != resident_key for i in listed.items):
            raise FlowRefused("watch.not_listed")

    def observe(self, resident_key: str, verdict: WatchVerdict | str) -> HelperObservation:
        """Record 平安 / 异常 with the signs chosen for this resident; clears the choice."""
        self._listed(resident_key)
        verdict = WatchVerdict(verdict)
        signs = [s.value for s in SIGNS if s.value in self.selected.get(resident_key, set())]
        record = self.device.observe(resident_key, verdict.value, signs=signs, via=self.via,
                                     note=self.notes.pop(resident_key, ""))
        self.selected.pop(resident_key, None)
        self.message = self.tr.t(f"watch.recorded.{verdict.value}")
        return record
