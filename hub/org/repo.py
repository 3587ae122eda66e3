"""Reads and idempotent writes of the organisation tables (units, people, device_bindings).

Functions take a SQLAlchemy engine or anything with an ``engine`` attribute (a :class:`HubStore`), so the
org code needs no changes to the store's repository.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.store.repository import utc_now
from hub.store.tables import device_bindings, people, units

__all__ = ["utc_now"]  # re-exported: the org modules' default clock


@dataclass(frozen=True)
class Unit:
    code: str
    level: str
    name: str
    parent_code: str | None = None
    geometry: dict | None = None  # GeoJSON geometry, grids only


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


def engine_of(store_or_engine: Any) -> sa.Engine:
    return store_or_engine if isinstance(store_or_engine, sa.Engine) else store_or_engine.engine


def write_tx(engine: sa.Engine):
    """A write transaction; ``hub_write`` makes SQLite take its write lock up front (see store/engine.py)."""
    return engine.execution_options(hub_write=True).begin()


def _upsert(conn: sa.Connection, table: sa.Table, key: str, row: dict[str, Any], keep: tuple[str, ...] = ()) -> bool:
    """Insert or update by primary key, portable across SQLite and PostgreSQL. True when inserted."""
    exists = conn.execute(sa.select(table.c[key]).where(table.c[key] == row[key])).first()
    if exists is None:
        conn.execute(sa.insert(table), row)
        return True
    values = {k: v for k, v in row.items() if k != key and k not in keep}
    conn.execute(sa.update(table).where(table.c[key] == row[key]).values(**values))
    return False


def save_units(conn: sa.Connection, items: Iterable[Unit], now: datetime) -> int:
    """Upsert units parents-first (the self foreign key needs the parent row); returns how many are new."""
    order = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
    created = 0
    for unit in sorted(items, key=lambda u: order[u.level]):
        row = {"code": unit.code, "level": unit.level, "name": unit.name, "parent_code": unit.parent_code,
               "geometry": json.dumps(unit.geometry, separators=(",", ":")) if unit.geometry else None,
               "created_at": now}
        created += _upsert(conn, units, "code", row, keep=("created_at",))
    return created


def save_people(conn: sa.Connection, items: Iterable[Person]) -> int:
    return sum(_upsert(conn, people, "id", vars(p).copy()) for p in items)


def save_device_bindings(conn: sa.Connection, items: Iterable[DeviceBinding]) -> int:
    return sum(_upsert(conn, device_bindings, "device_id", vars(d).copy()) for d in items)


def _unit(row) -> Unit:
    m = row._mapping
    return Unit(m["code"], m["level"], m["name"], m["parent_code"], json.loads(m["geometry"]) if m["geometry"] else None)


def existing_unit_codes(conn: sa.Connection, codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    if not wanted:
        return set()
    return set(conn.execute(sa.select(units.c.code).where(units.c.code.in_(wanted))).scalars())


def get_unit(store_or_engine: Any, code: str) -> Unit | None:
    with engine_of(store_or_engine).connect() as conn:
        row = conn.execute(sa.select(units).where(units.c.code == code)).first()
    return _unit(row) if row else None


def list_units(store_or_engine: Any, *, level: str | None = None, under: str | None = None) -> list[Unit]:
    """Units by code; ``under`` = a code prefix (all grids of community X: ``level='grid', under=X``)."""
    query = sa.select(units).order_by(units.c.code)
    if level:
        query = query.where(units.c.level == level)
    if under:
        query = query.where(units.c.code.startswith(under, autoescape=True))
    with engine_of(store_or_engine).connect() as conn:
        return [_unit(r) for r in conn.execute(query)]


def list_people(store_or_engine: Any, unit_code: str | None = None) -> list[Person]:
    query = sa.select(people).order_by(people.c.id)
    if unit_code:
        query = query.where(people.c.unit_code == unit_code)
    with engine_of(store_or_engine).connect() as conn:
        return [Person(**r._mapping) for r in conn.execute(query)]


def list_device_bindings(store_or_engine: Any, unit_code: str | None = None) -> list[DeviceBinding]:
    query = sa.select(device_bindings).order_by(device_bindings.c.device_id)
    if unit_code:
        query = query.where(device_bindings.c.unit_code == unit_code)
    with engine_of(store_or_engine).connect() as conn:
        return [DeviceBinding(**r._mapping) for r in conn.execute(query)]


Clock = Callable[[], datetime]
