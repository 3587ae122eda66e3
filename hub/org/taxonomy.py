"""The case taxonomy (部件/事件 categories, CJ/T 214 style): the shipped default, its loader, and the
admin edits (enable/disable, time limit, department) persisted in ``categories``."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from hub.org import repo
from hub.org.calendar import WorkCalendar
from hub.store.db import Database
from hub.store.vocabulary import CATEGORY_KINDS, TIME_LIMIT_UNITS

CODE_PATTERN = re.compile(r"^(?P<kind>[CE])(?P<major>\d{2})(?P<minor>\d{2})$")
KIND_LETTER = {"component": "C", "event": "E"}


class TaxonomyError(ValueError):
    pass


@dataclass(frozen=True)
class Category:
    code: str
    kind: str  # component 部件 | event 事件
    major_code: str
    minor_code: str
    name_zh: str
    name_en: str
    filing_conditions: str  # 立案条件
    closing_conditions: str  # 结案条件
    time_limit_value: int
    time_limit_unit: str  # working_hours | working_days
    department: str | None = None
    urgent: bool = False
    enabled: bool = True

    def deadline(self, calendar: WorkCalendar, filed_at: datetime, suspensions=()) -> datetime | None:
        unit = "hours" if self.time_limit_unit == "working_hours" else "days"
        return calendar.deadline_with_suspensions(filed_at, suspensions=suspensions, **{unit: self.time_limit_value})


def validate_category(cat: Category) -> Category:
    match = CODE_PATTERN.match(cat.code)
    problems = []
    if not match:
        problems.append("code must be C or E + major 2 digits + minor 2 digits")
    elif cat.kind not in CATEGORY_KINDS or KIND_LETTER[cat.kind] != match["kind"]:
        problems.append(f"kind {cat.kind!r} does not match the code's letter")
    elif (match["major"], match["minor"]) != (cat.major_code, cat.minor_code):
        problems.append("major/minor codes do not match the code")
    if not cat.name_zh or not cat.name_en:
        problems.append("needs name_zh and name_en")
    if not isinstance(cat.time_limit_value, int) or cat.time_limit_value <= 0:
        problems.append("time limit must be a positive whole number")
    if cat.time_limit_unit not in TIME_LIMIT_UNITS:
        problems.append(f"time limit unit must be one of {', '.join(TIME_LIMIT_UNITS)}")
    if problems:
        raise TaxonomyError(f"category {cat.code}: " + "; ".join(problems))
    return cat


@cache
def _default_raw() -> dict:
    return json.loads(files(__package__).joinpath("default_taxonomy.json").read_text(encoding="utf-8"))


def default_taxonomy() -> list[Category]:
    cats = [validate_category(Category(**item)) for item in _default_raw()["categories"]]
    if len({c.code for c in cats}) != len(cats):
        raise TaxonomyError("duplicate category codes in the default taxonomy")
    return cats


def install_taxonomy(db: Database, cats: list[Category] | None = None, *, overwrite: bool = False) -> int:
    """Insert categories that are missing; with ``overwrite`` also reset existing ones (losing admin edits).
    Returns how many rows were written."""
    cats = default_taxonomy() if cats is None else [validate_category(c) for c in cats]
    written = 0
    with db.write() as conn:
        present = repo.category_codes(conn)
        for cat in cats:
            if cat.code not in present:
                repo.insert_category(conn, asdict(cat))
            elif overwrite:
                repo.update_category(conn, cat.code, asdict(cat))
            else:
                continue
            written += 1
    return written


def list_categories(db: Database, *, kind: str | None = None, enabled_only: bool = False) -> list[Category]:
    with db.read() as conn:
        return [Category(**r) for r in repo.category_rows(conn, kind=kind, enabled_only=enabled_only)]


def get_category(db: Database, code: str) -> Category | None:
    with db.read() as conn:
        row = repo.category_row(conn, code)
    return Category(**row) if row else None


def _edit(db: Database, code: str, **values: Any) -> Category:
    with db.write() as conn:
        found = repo.update_category(conn, code, values)
    edited = get_category(db, code) if found else None
    if edited is None:
        raise TaxonomyError(f"no category {code!r}")
    return edited


def set_enabled(db: Database, code: str, enabled: bool) -> Category:
    return _edit(db, code, enabled=bool(enabled))


def set_time_limit(db: Database, code: str, value: int, unit: str) -> Category:
    if not isinstance(value, int) or value <= 0 or unit not in TIME_LIMIT_UNITS:
        raise TaxonomyError(f"time limit must be a positive whole number of {' or '.join(TIME_LIMIT_UNITS)}")
    return _edit(db, code, time_limit_value=value, time_limit_unit=unit)


def set_department(db: Database, code: str, department: str | None) -> Category:
    return _edit(db, code, department=(department or "").strip() or None)


def edit_category(db: Database, code: str, *, enabled: bool | None = None, time_limit: tuple[int, str] | None = None,
                  department: str | None = None, urgent: bool | None = None) -> Category:
    """Several admin edits in one transaction (None: unchanged; ``department=""`` clears it)."""
    values: dict[str, Any] = {}
    if enabled is not None:
        values["enabled"] = bool(enabled)
    if time_limit is not None:
        value, unit = time_limit
        if not isinstance(value, int) or value <= 0 or unit not in TIME_LIMIT_UNITS:
            raise TaxonomyError(f"time limit must be a positive whole number of {' or '.join(TIME_LIMIT_UNITS)}")
        values.update(time_limit_value=value, time_limit_unit=unit)
    if department is not None:
        values["department"] = department.strip() or None
    if urgent is not None:
        values["urgent"] = bool(urgent)
    return _edit(db, code, **values) if values else _existing(db, code)


def _existing(db: Database, code: str) -> Category:
    found = get_category(db, code)
    if found is None:
        raise TaxonomyError(f"no category {code!r}")
    return found


def department_map(db: Database) -> dict[str, str]:
    """Category code → handling department, for :class:`GridRouter`'s ``departments``."""
    return {c.code: c.department for c in list_categories(db, enabled_only=True) if c.department}
