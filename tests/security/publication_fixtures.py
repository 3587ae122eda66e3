"""Fixtures of the publication tests in tests/security (a test module loads them with ``pytest_plugins``; there is
no conftest.py here), named ``pub_*`` so that they never shadow another module's: a migrated store on SQLite and
PostgreSQL (``db_url``), the sample community 福石社区 with its taxonomy, kiosk reports taken in by the intake,
and the hub app over that store without MQTT."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from hub.app import create_app
from hub.cases import CaseService
from hub.cases.intake import CaseIntake
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import Unit, save_units
from hub.org.taxonomy import install_taxonomy
from hub.sample import load_raw
from hub.settings import HubSettings
from hub.store import HubStore
from hub.store.tables import cases
from protocol import IncidentReport, Position, uuid7
from tests.hub.conftest import T0, Clock, raw

COMMUNITY = "440402004005"  # 福石社区
OTHER_COMMUNITY = "440402004006"  # 翠微社区, made by ``second_community``
BIN = "C0302"  # 垃圾箱 (环卫所)
BIN_AT = (22.247, 113.5214)  # in 福石 grid 1 (its leader: p-lead-01)


@pytest.fixture
def pub_clock() -> Clock:
    return Clock()


@pytest.fixture
def pub_store(db_url: str, tmp_path: Path, pub_clock: Clock) -> Iterator[HubStore]:
    hub_store = HubStore(db_url, tmp_path / "data", clock=pub_clock)
    hub_store.migrate()
    yield hub_store
    hub_store.close()


@pytest.fixture
def pub_fushi(pub_store: HubStore, pub_clock: Clock) -> CaseService:
    load_community(pub_store, load_raw(), clock=pub_clock)
    install_taxonomy(pub_store)
    return CaseService(pub_store, clock=pub_clock)


@pytest.fixture
def pub_app(pub_store: HubStore, tmp_path: Path, pub_clock: Clock) -> FastAPI:
    return create_app(HubSettings(data_dir=tmp_path / "data"), store=pub_store, start_bridge=False, clock=pub_clock)


@pytest.fixture
def pub_second_community(pub_store: HubStore, pub_fushi: CaseService, pub_clock: Clock) -> str:
    """翠微社区 next to 福石 on the same street (an operator scoped to it must not see 福石's cases)."""
    with pub_store.write() as conn:
        save_units(conn, [Unit(OTHER_COMMUNITY, "community", "翠微社区", COMMUNITY[:9])], pub_clock())
    return OTHER_COMMUNITY


@pytest.fixture
def pub_kiosk_case(pub_store: HubStore, pub_fushi: CaseService) -> Callable[..., str]:
    """``pub_kiosk_case(note, seq=1, lat=..., lon=...)``: see :func:`open_kiosk_case`."""
    return partial(open_kiosk_case, pub_store, pub_fushi)


def open_kiosk_case(store: HubStore, service: CaseService, note: str, *, seq: int = 1, lat: float = BIN_AT[0],
                    lon: float = BIN_AT[1], category: str = BIN) -> str:
    """A kiosk's report with ``note`` through ingest and the intake: the id of the case it opened."""
    report = IncidentReport(id=uuid7(), device_id="kiosk-fs-01", seq=seq, created_at=T0, category=category,
                            note=note, position=Position(lat=lat, lon=lon, accuracy_m=5))
    ingest_batch([raw(report)], store)
    assert CaseIntake(store, service).run_once() == 1
    with store.engine.connect() as conn:
        case_id: str = conn.execute(sa.select(cases.c.id).where(cases.c.source_record_id == report.id)).scalar_one()
    return case_id
