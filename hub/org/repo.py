"""The one owner of the organisation tables: units, people, device bindings, categories and department contacts.

Functions take a connection (``db.read()`` / ``db.write()``, so callers can combine them in one transaction);
the few that take a :class:`Database` open their own. Other domains get rows, dataclasses, and sub-selects to
compose into their own queries (``devices_bound_within``, ``unit_subtree``, ``person_names_view``...), never
the tables themselves.

"Inside a unit" always follows the hierarchy (``parent_code``), never the codes' spelling: a district's code does
not start with its city's (珠海市 440400 → 香洲区 440402). ``unit_subtree`` is the SQL form, ``ancestor_codes`` /
``subtree_codes`` the forms for checks in Python. Only the CLI's ``under=`` export/list filters (``units_listed``,
``contacts_under``) match a code prefix, as their help says; they decide nothing about who may see what.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from hub.org.people_repo import inactive_ids
from hub.store.clock import Clock, utc_now
from hub.store.db import Database
from hub.store.tables import calendar_days, categories, department_contacts, device_bindings, people, units

__all__ = ["Clock", "utc_now"]  # re-exported: the org modules' default clock

LEVEL_ORDER = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4, "building": 5}


@dataclass(frozen=True)
class Unit:
    code: str
    level: str
    name: str
    parent_code: str | None = None
    geometry: dict[str, Any] | None = None  # GeoJSON geometry, grids only
    abbr: str | None = None  # a community's prefix for case references (FS-20261204-0042)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    unit_code: str
    phone_device_id: str | None = None


@dataclass(frozen=True)
class DeviceBinding:
    device_id: str
    kind: str
    unit_code: str
    owner_person_id: str | None = None


@dataclass(frozen=True)
class ChainUnit:
    code: str
    level: str
    name: str


@dataclass(frozen=True)
class DepartmentContact:
    department: str
    unit_code: str
    person_id: str


@dataclass(frozen=True)
class BoundDevice:
    """A device binding with its owner's name and role (for the map's terminal list)."""

    device_id: str
    kind: str
    unit_code: str
    owner_person_id: str | None
    owner_name: str | None
    owner_role: str | None


def _upsert(conn: sa.Connection, table: sa.Table, key: str, row: dict[str, Any], keep: tuple[str, ...] = ()) -> bool:
    """Insert or update by primary key, portable across SQLite and PostgreSQL. True when inserted."""
    exists = conn.execute(sa.select(table.c[key]).where(table.c[key] == row[key])).first()
    if exists is None:
        conn.execute(sa.insert(table), row)
        return True
    values = {k: v for k, v in row.items() if k != key and k not in keep}
    conn.execute(sa.update(table).where(table.c[key] == row[key]).values(**values))
    return False


def _under(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """A code-prefix filter, for the CLI's ``under=`` options only (never a scope check: see the module doc)."""
    return column.startswith(prefix, autoescape=True)


# -- units --------------------------------------------------------------------------------------------
def save_units(conn: sa.Connection, items: Iterable[Unit], now: datetime) -> int:
    """Upsert units parents-first (the self foreign key needs the parent row); returns how many are new."""
    created = 0
    for unit in sorted(items, key=lambda u: LEVEL_ORDER[u.level]):
        row = {"code": unit.code, "level": unit.level, "name": unit.name, "parent_code": unit.parent_code,
               "geometry": json.dumps(unit.geometry, separators=(",", ":")) if unit.geometry else None,
               "abbr": unit.abbr, "created_at": now}
        created += _upsert(conn, units, "code", row, keep=("created_at",))
    return created


def _unit(row: sa.Row[Any]) -> Unit:
    m = row._mapping
    geometry = json.loads(m["geometry"]) if m["geometry"] else None
    return Unit(m["code"], m["level"], m["name"], m["parent_code"], geometry, m["abbr"])


def existing_unit_codes(conn: sa.Connection, codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    if not wanted:
        return set()
    return set(conn.execute(sa.select(units.c.code).where(units.c.code.in_(wanted))).scalars())


def unit(conn: sa.Connection, code: str) -> Unit | None:
    row = conn.execute(sa.select(units).where(units.c.code == code)).first()
    return _unit(row) if row else None


def units_listed(conn: sa.Connection, *, level: str | None = None, under: str | None = None,
                 within: str | None = None) -> list[Unit]:
    """Units by code; ``under``: codes starting so (the CLI's filter); ``within``: the subtree of that unit."""
    query = sa.select(units).order_by(units.c.code)
    if level:
        query = query.where(units.c.level == level)
    if under:
        query = query.where(_under(units.c.code, under))
    if within is not None:
        query = query.where(units.c.code.in_(unit_subtree(within)))
    return [_unit(r) for r in conn.execute(query)]


def get_unit(db: Database, code: str) -> Unit | None:
    with db.read() as conn:
        return unit(conn, code)


def list_units(db: Database, *, level: str | None = None, under: str | None = None) -> list[Unit]:
    """Units by code; ``under`` = a code prefix (all grids of community X: ``level='grid', under=X``)."""
    with db.read() as conn:
        return units_listed(conn, level=level, under=under)


def reference_prefix(conn: sa.Connection, community_code: str | None) -> str:
    """The case-reference prefix of a community: its ``abbr`` (FS), else C + the last six digits of its code; GL for
    a case placed in no community."""
    if not community_code:
        return "GL"
    abbr = conn.execute(sa.select(units.c.abbr).where(units.c.code == community_code)).scalar()
    return abbr or f"C{community_code[-6:]}"


def unit_chain(conn: sa.Connection, code: str | None) -> list[ChainUnit]:
    """The unit and its ancestors, bottom first (grid, community, street, district, city)."""
    chain: list[ChainUnit] = []
    seen: set[str] = set()
    while code and code not in seen:  # seen: a parent cycle in bad data must not loop forever
        seen.add(code)
        row = conn.execute(sa.select(units.c.code, units.c.level, units.c.name, units.c.parent_code)
                           .where(units.c.code == code)).first()
        if row is None:
            break
        chain.append(ChainUnit(row.code, row.level, row.name))
        code = row.parent_code
    return chain


def ancestor_codes(conn: sa.Connection, code: str | None) -> list[str]:
    """The codes of the unit and its ancestors, bottom first (``unit_chain`` without the names)."""
    return [link.code for link in unit_chain(conn, code)]


def subtree_codes(conn: sa.Connection, code: str) -> frozenset[str]:
    """The codes of a unit and everything under it (empty for an unknown code)."""
    return frozenset(conn.execute(unit_subtree(code)).scalars())


def unit_tree(conn: sa.Connection) -> dict[str, tuple[str, str | None]]:
    """code → (name, parent code) of every unit."""
    return {code: (name, parent) for code, name, parent in conn.execute(
        sa.select(units.c.code, units.c.name, units.c.parent_code))}


def unit_names(conn: sa.Connection, level: str, within: sa.Select[str] | None = None) -> dict[str, str]:
    """code → name of the units at ``level`` (optionally only those among ``within``)."""
    query = sa.select(units.c.code, units.c.name).where(units.c.level == level)
    if within is not None:
        query = query.where(units.c.code.in_(within))
    return {code: name for code, name in conn.execute(query)}


def unit_subtree(code: str) -> sa.Select[str]:
    """``SELECT code`` of a unit and everything under it (recursive over ``parent_code``)."""
    # Anonymous (anon_N): two subtrees in one statement (a filter and the scope) must not share a CTE name.
    tree = sa.select(units.c.code).where(units.c.code == code).cte(recursive=True)
    child = units.alias("child")
    tree = tree.union_all(sa.select(child.c.code).where(child.c.parent_code == tree.c.code))
    return sa.select(tree.c.code)


def community_ancestors(level: str) -> sa.Subquery:
    """(community, anc): every community's ancestor code at ``level`` (street / district / city)."""
    up = sa.select(units.c.code.label("community"), units.c.code.label("anc"), units.c.level.label("lvl"),
                   units.c.parent_code.label("up")).where(units.c.level == "community").cte(
        f"up_{level}", recursive=True)
    parent = units.alias("parent")
    up = up.union_all(sa.select(up.c.community, parent.c.code, parent.c.level, parent.c.parent_code)
                      .where(parent.c.code == up.c.up))
    return sa.select(up.c.community, up.c.anc).where(up.c.lvl == level).subquery(f"anc_{level}")


# -- people -------------------------------------------------------------------------------------------
def save_people(conn: sa.Connection, items: Iterable[Person]) -> int:
    return sum(_upsert(conn, people, "id", vars(p).copy()) for p in items)


def person(conn: sa.Connection, person_id: str) -> Person | None:
    row = conn.execute(sa.select(people).where(people.c.id == person_id)).first()
    return Person(**row._mapping) if row else None


def list_people(db: Database, unit_code: str | None = None) -> list[Person]:
    query = sa.select(people).order_by(people.c.id)
    if unit_code:
        query = query.where(people.c.unit_code == unit_code)
    with db.read() as conn:
        return [Person(**r._mapping) for r in conn.execute(query)]


def people_within(conn: sa.Connection, code: str | None, *, on_duty: bool = False) -> list[Person]:
    """People of the subtree of unit ``code`` (None: everyone), by unit then id; ``on_duty``: not those an admin took
    off duty (the choices for a new task)."""
    query = sa.select(people).order_by(people.c.unit_code, people.c.id)
    if on_duty:
        query = query.where(people.c.id.not_in(inactive_ids()))
    if code is not None:
        query = query.where(people.c.unit_code.in_(unit_subtree(code)))
    return [Person(**r._mapping) for r in conn.execute(query)]


def people_by_id(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, Person]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    return {r.id: Person(**r._mapping) for r in conn.execute(sa.select(people).where(people.c.id.in_(ids)))}


def person_role(conn: sa.Connection, person_id: str | None) -> str | None:
    if person_id is None:
        return None
    role: str | None = conn.execute(sa.select(people.c.role).where(people.c.id == person_id)).scalar()
    return role


def person_roles(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    return {pid: role for pid, role in conn.execute(sa.select(people.c.id, people.c.role).where(people.c.id.in_(ids)))}


def people_at(conn: sa.Connection, unit_code: str, roles: Iterable[str] | None = None) -> list[str]:
    """Ids of the people of one unit on duty (optionally with one of ``roles``), by id: someone an admin took
    off duty (``people_inactive``) gets no new task."""
    query = (sa.select(people.c.id).where(people.c.unit_code == unit_code, people.c.id.not_in(inactive_ids()))
             .order_by(people.c.id))
    if roles is not None:
        query = query.where(people.c.role.in_(sorted(roles)))
    return list(conn.execute(query).scalars())


def phones_of(conn: sa.Connection, person_ids: Iterable[str]) -> dict[str, list[str]]:
    """person → their phone device ids (``people.phone_device_id`` and phones bound to them)."""
    ids = sorted(set(person_ids))
    found: dict[str, set[str]] = {p: set() for p in ids}
    if not ids:
        return {}
    for pid, phone in conn.execute(sa.select(people.c.id, people.c.phone_device_id).where(people.c.id.in_(ids))):
        if phone:
            found[pid].add(phone)
    for pid, device in conn.execute(sa.select(device_bindings.c.owner_person_id, device_bindings.c.device_id).where(
            device_bindings.c.owner_person_id.in_(ids), device_bindings.c.kind == "phone")):
        found[pid].add(device)
    return {pid: sorted(devices) for pid, devices in found.items()}


def device_owner(conn: sa.Connection, device_id: str) -> str | None:
    """The person a device belongs to: its binding's owner, else whoever lists it as their phone."""
    owner: str | None = conn.execute(sa.select(device_bindings.c.owner_person_id)
                                     .where(device_bindings.c.device_id == device_id)).scalar()
    if owner:
        return owner
    listed: str | None = conn.execute(sa.select(people.c.id).where(people.c.phone_device_id == device_id)
                                      .order_by(people.c.id).limit(1)).scalar()
    return listed


def person_names_view() -> sa.Subquery:
    """(id, name) of every person, for a caller outer-joining who acted."""
    return sa.select(people.c.id, people.c.name).subquery("person_names")


def unit_names_view(name: str = "unit_names") -> sa.Subquery:
    """(code, name) of every unit, for a caller outer-joining a grid or community code (``name``: the alias, so
    one statement can join it twice)."""
    return sa.select(units.c.code, units.c.name).subquery(name)


# -- device bindings -------------------------------------------------------------------------------------
def save_device_bindings(conn: sa.Connection, items: Iterable[DeviceBinding]) -> int:
    return sum(_upsert(conn, device_bindings, "device_id", vars(d).copy()) for d in items)


def list_device_bindings(db: Database, unit_code: str | None = None) -> list[DeviceBinding]:
    query = sa.select(device_bindings).order_by(device_bindings.c.device_id)
    if unit_code:
        query = query.where(device_bindings.c.unit_code == unit_code)
    with db.read() as conn:
        return [DeviceBinding(**r._mapping) for r in conn.execute(query)]


def bound_device_ids(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.select(device_bindings.c.device_id)).scalars())


def device_units(conn: sa.Connection) -> dict[str, str]:
    """device id → the unit it is bound to."""
    return {d: u for d, u in conn.execute(sa.select(device_bindings.c.device_id, device_bindings.c.unit_code))}


def devices_bound_within(code: str) -> sa.Select[str]:
    """``SELECT device_id`` of the devices bound to unit ``code`` or a unit below it."""
    return sa.select(device_bindings.c.device_id).where(device_bindings.c.unit_code.in_(unit_subtree(code)))


def device_unit(conn: sa.Connection, device_id: str) -> str | None:
    """The unit a device is bound to (None: not bound)."""
    found: str | None = conn.execute(sa.select(device_bindings.c.unit_code)
                                     .where(device_bindings.c.device_id == device_id)).scalar()
    return found


def bindings_within(conn: sa.Connection, code: str | None) -> list[BoundDevice]:
    """Bindings (with their owners) in the subtree of unit ``code`` (None: all of them)."""
    owner = people.alias("owner")
    query = (sa.select(device_bindings, owner.c.name.label("owner_name"), owner.c.role.label("owner_role"))
             .outerjoin(owner, owner.c.id == device_bindings.c.owner_person_id))
    if code is not None:
        query = query.where(device_bindings.c.unit_code.in_(unit_subtree(code)))
    return [BoundDevice(r.device_id, r.kind, r.unit_code, r.owner_person_id, r.owner_name, r.owner_role)
            for r in conn.execute(query)]


def binding_view() -> sa.Subquery:
    """(device_id, kind, unit_code, owner_person_id) of every binding, for a caller outer-joining on a device."""
    return sa.select(device_bindings.c.device_id, device_bindings.c.kind, device_bindings.c.unit_code,
                     device_bindings.c.owner_person_id).subquery("device_binding")


def kiosks_of(conn: sa.Connection, grid_code: str | None) -> list[str]:
    if not grid_code:
        return []
    return list(conn.execute(sa.select(device_bindings.c.device_id).where(
        device_bindings.c.unit_code == grid_code, device_bindings.c.kind == "kiosk")
        .order_by(device_bindings.c.device_id)).scalars())


def unowned_devices(conn: sa.Connection, unit_codes: Sequence[str]) -> list[str]:
    """Devices bound to these units with no owner (a community office's kiosk or tablet)."""
    if not unit_codes:
        return []
    return list(conn.execute(sa.select(device_bindings.c.device_id).where(
        device_bindings.c.unit_code.in_(list(unit_codes)), device_bindings.c.owner_person_id.is_(None))
        .order_by(device_bindings.c.device_id)).scalars())


# -- department contacts ----------------------------------------------------------------------------------
def contact_exists(conn: sa.Connection, contact: DepartmentContact) -> bool:
    query = sa.select(department_contacts.c.person_id).where(
        department_contacts.c.department == contact.department, department_contacts.c.unit_code == contact.unit_code,
        department_contacts.c.person_id == contact.person_id)
    return conn.execute(query).first() is not None


def insert_contact(conn: sa.Connection, contact: DepartmentContact) -> None:
    conn.execute(sa.insert(department_contacts), asdict(contact))


def delete_contact(conn: sa.Connection, contact: DepartmentContact) -> bool:
    return bool(conn.execute(sa.delete(department_contacts).where(
        department_contacts.c.department == contact.department, department_contacts.c.unit_code == contact.unit_code,
        department_contacts.c.person_id == contact.person_id)).rowcount)


def contacts_under(conn: sa.Connection, prefix: str | None) -> list[DepartmentContact]:
    query = sa.select(department_contacts).order_by(department_contacts.c.unit_code, department_contacts.c.department,
                                                    department_contacts.c.person_id)
    if prefix:
        query = query.where(department_contacts.c.unit_code.startswith(prefix))
    return [DepartmentContact(r.department, r.unit_code, r.person_id) for r in conn.execute(query)]


def department_people(conn: sa.Connection, department: str, chain: list[ChainUnit]) -> list[str]:
    """The department's contact(s) at the nearest unit that names one (the community's property company
    before the district's fire station)."""
    for link in chain:
        found = list(conn.execute(sa.select(department_contacts.c.person_id).where(
            department_contacts.c.department == department, department_contacts.c.unit_code == link.code)
            .order_by(department_contacts.c.person_id)).scalars())
        if found:
            return found
    return []


# -- categories ------------------------------------------------------------------------------------------
def category_rows(conn: sa.Connection, *, kind: str | None = None, enabled_only: bool = False) -> list[dict[str, Any]]:
    query = sa.select(categories).order_by(categories.c.code)
    if kind:
        query = query.where(categories.c.kind == kind)
    if enabled_only:
        query = query.where(categories.c.enabled.is_(True))
    return [dict(r._mapping) for r in conn.execute(query)]


def category_row(conn: sa.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(categories).where(categories.c.code == code)).first()
    return dict(row._mapping) if row else None


def category_codes(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.select(categories.c.code)).scalars())


def insert_category(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(categories), dict(values))


def update_category(conn: sa.Connection, code: str, values: Mapping[str, Any]) -> bool:
    return bool(conn.execute(sa.update(categories).where(categories.c.code == code).values(**values)).rowcount)


def category_names_view() -> sa.Subquery:
    """(code, name_zh, name_en, department) of every category, for a caller outer-joining a case's category."""
    return sa.select(categories.c.code, categories.c.name_zh, categories.c.name_en,
                     categories.c.department).subquery("category_names")


# -- the working calendar's local overrides (calendar_days; hub/org/workdays.py merges them with the official days) --
@dataclass(frozen=True)
class CalendarOverride:
    day: date
    kind: str  # workday | holiday
    note: str
    updated_by: str  # the admin's user name
    updated_at: datetime


def calendar_overrides(conn: sa.Connection, year: int | None = None) -> list[CalendarOverride]:
    """Every local override (the table is a few dozen rows a year), or one year's, by day."""
    query = sa.select(calendar_days).order_by(calendar_days.c.day)
    if year is not None:
        query = query.where(calendar_days.c.day >= date(year, 1, 1), calendar_days.c.day <= date(year, 12, 31))
    return [CalendarOverride(r.day, r.kind, r.note, r.updated_by, r.updated_at) for r in conn.execute(query)]


def save_calendar_override(conn: sa.Connection, override: CalendarOverride) -> bool:
    """Insert or replace the day's override; True when it is new."""
    return _upsert(conn, calendar_days, "day", asdict(override))


def delete_calendar_override(conn: sa.Connection, day: date) -> bool:
    return bool(conn.execute(sa.delete(calendar_days).where(calendar_days.c.day == day)).rowcount)
