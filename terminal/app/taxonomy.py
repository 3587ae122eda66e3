"""The category list the report screens offer.

The hub pushes its current list (enabled categories, as its admins edit them) as a ``taxonomy`` downlink
(``protocol.TaxonomyBody``); the newest one in the inbox wins. Until the first one arrives — a kiosk
unpacked on a closed network — the apps offer the copy of ``hub/org/default_taxonomy.json`` they ship as
``taxonomy.json`` beside this module (a test keeps the copy equal to the hub's), or the file that
``taxonomy`` in the app config names.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from protocol import TaxonomyBody

if TYPE_CHECKING:
    from terminal.store import TerminalStore


@dataclass(frozen=True)
class CategoryChoice:
    code: str  # CJ/T 214 style, e.g. E0501
    kind: str  # component 部件 | event 事件
    major_code: str
    name_zh: str
    name_en: str
    major_name_zh: str
    urgent: bool


class TaxonomyFileError(ValueError):
    pass


def load_categories(path: Path | str | None = None) -> list[CategoryChoice]:
    """Events first (what residents report most), then components, each in code order."""
    return list(_load(str(path) if path else None))


@cache
def _load(path: str | None) -> tuple[CategoryChoice, ...]:
    text = Path(path).read_text(encoding="utf-8") if path else files(__package__).joinpath("taxonomy.json").read_text(
        encoding="utf-8")
    try:
        raw = json.loads(text)
        majors = {(m["kind"], m["major_code"]): m["name_zh"] for m in raw.get("major_classes", [])}
        found = [CategoryChoice(c["code"], c["kind"], c["major_code"], c["name_zh"], c["name_en"],
                                majors.get((c["kind"], c["major_code"]), ""), bool(c.get("urgent", False)))
                 for c in raw["categories"] if c.get("enabled", True)]
    except (ValueError, KeyError, TypeError) as exc:
        raise TaxonomyFileError(f"taxonomy file {path or 'bundled'} is not a category list: {exc}") from exc
    if not found:
        raise TaxonomyFileError(f"taxonomy file {path or 'bundled'} has no enabled categories")
    return tuple(sorted(found, key=lambda c: (c.kind != "event", c.code)))


def from_body(body: TaxonomyBody) -> list[CategoryChoice]:
    majors = {(m.kind, m.major_code): m.name_zh for m in body.major_classes}
    found = [CategoryChoice(c.code, c.kind, c.major_code, c.name_zh, c.name_en, majors.get((c.kind, c.major_code), ""),
                            c.urgent) for c in body.categories]
    return sorted(found, key=lambda c: (c.kind != "event", c.code))


def synced_categories(store: TerminalStore) -> list[CategoryChoice] | None:
    """The newest list the hub has sent this device, or None if none has arrived (or none is readable)."""
    newest: TaxonomyBody | None = None
    for entry in store.inbox():
        if entry.kind != "taxonomy":
            continue
        try:
            body = TaxonomyBody.model_validate(entry.body)
        except ValueError:
            continue  # a list this app version cannot read: keep offering the one it has
        if newest is None or body.published_at > newest.published_at:
            newest = body
    return from_body(newest) if newest is not None else None

