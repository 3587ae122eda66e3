"""巡查点 and the hour ledger on SQLite and PostgreSQL: checkpoints per grid, visits valid within the radius (flagged
outside it or without a fix), a patrol session with its checkpoints and its half-hour units credited once, missed
checkpoints and coverage, certified hours and redemptions (never beyond the balance), and migration 0018."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub import sample
from hub.mqtt.ingest import RawMessage, ingest_batch
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy
from hub.patrols import coverage
from hub.patrols.checkpoints import CheckpointError, CheckpointRegistry
from hub.patrols.job import PatrolJob
from hub.volunteers.ledger import Ledger, LedgerError, session_units
from protocol import (
    ChecklistResult,
    CheckpointVisit,
    PatrolLog,
    Position,
    encode,
    parse_checkpoint_qr,
    uplink_topic_for,
    uuid7,
)
from tests.hub.migration_checks import assert_migration_matches_and_downgrades

GRID1 = "440402004005001"
TABLET, VOLUNTEER = "tablet-fs-01", "p-patrol-01"
T0 = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
_seq = itertools.count(1)


@pytest.fixture
def world(store, clock):
    clock.now = T0
    load_community(store, sample.load_raw(), clock=clock)
    install_taxonomy(store)
    return store, clock, CheckpointRegistry(store, clock=clock)


def ingest(store, clock, msg) -> None:
    assert ingest_batch([RawMessage(uplink_topic_for(msg), encode(msg), clock.now)], store).stored_records == 1


def visit(store, clock, checkpoint_id: str, at: datetime, lat: float, lon: float, results=(),
          started: datetime = T0) -> CheckpointVisit:
    msg = CheckpointVisit(id=uuid7(), device_id=TABLET, seq=next(_seq), created_at=at, checkpoint_id=checkpoint_id,
                          position=Position(lat=lat, lon=lon, accuracy_m=6), results=list(results),
                          patrol_started_at=started)
    ingest(store, clock, msg)
    return msg


def patrol(store, clock, start: datetime, end: datetime, fixes: int = 40) -> PatrolLog:
    msg = PatrolLog(id=uuid7(), device_id=TABLET, seq=next(_seq), created_at=end, started_at=start, ended_at=end,
                    distance_m=1800.0, fixes=fixes, grid_code=GRID1)
    ingest(store, clock, msg)
    return msg


def test_session_units_count_time_on_route_not_distance():
    assert session_units(T0, T0 + timedelta(minutes=65), checkpoints=2, fixes=40) == 2
    assert session_units(T0, T0 + timedelta(minutes=29), checkpoints=3, fixes=40) == 0
    assert session_units(T0, T0 + timedelta(hours=2), checkpoints=0, fixes=0) == 0  # nothing shows it was walked
    assert session_units(T0, T0 + timedelta(minutes=90), checkpoints=0, fixes=12) == 3


def test_a_patrol_visits_two_of_three_checkpoints(world):
    store, clock, registry = world
    gate = registry.create(GRID1, "3栋东门", 22.2712, 113.5311, 30, "admin")
    lane = registry.create(GRID1, "消防通道（5栋）", 22.2720, 113.5320, 25, "admin")
    shed = registry.create(GRID1, "电动车棚", 22.2705, 113.5300, 20, "admin")
    assert parse_checkpoint_qr(gate.qr_text) == gate.id and [i.code for i in gate.checklist][0] == "fire_lane_clear"
    with pytest.raises(CheckpointError):
        registry.create("440402004005", "不是网格", 22.27, 113.53, 30, "admin")
    report = uuid7()
    visit(store, clock, gate.id, T0 + timedelta(minutes=10), 22.27121, 113.53112,
          [ChecklistResult(item="fire_lane_clear", ok=True), ChecklistResult(item="no_ebike_charging", ok=False,
                                                                             report_id=report)])
    visit(store, clock, lane.id, T0 + timedelta(minutes=30), 22.27201, 113.53199)
    visit(store, clock, shed.id, T0 + timedelta(minutes=40), 22.2730, 113.5330)  # ~400 m away: flagged
    log = patrol(store, clock, T0, T0 + timedelta(minutes=65))
    job = PatrolJob(store, clock)
    result = job.run_once()
    assert (result.visits, result.sessions, result.units) == (3, 1, 2)
    assert job.run_once().visits == 0  # taken once

    [session] = coverage.sessions(store, GRID1, T0 - timedelta(hours=1), T0 + timedelta(hours=2))
    assert session["record_id"] == log.id and session["person_id"] == VOLUNTEER
    assert session["checkpoint_ids"] == [gate.id, lane.id] and session["units"] == 2
    assert [c.id for c in coverage.missed(store, GRID1, T0, T0 + timedelta(hours=2))] == [shed.id]
    [grid] = coverage.coverage(store, "440402004005", T0, T0 + timedelta(hours=2))
    assert (grid.grid_code, grid.checkpoints, grid.visited, grid.flagged_visits, grid.failed_items,
            grid.sessions) == (GRID1, 3, 2, 1, 1, 1)
    assert Ledger(store).balance(VOLUNTEER).system_units == 2
    assert job.ledger.balance(VOLUNTEER).balance_units == 2
    with store.engine.connect() as conn:
        kinds = dict(conn.execute(sa.text("SELECT device_id, kind FROM downlinks WHERE kind IN "
                                          "('checkpoints', 'hours') AND device_id = :d AND kind = 'hours'"),
                                  {"d": TABLET}).all())
    assert kinds == {TABLET: "hours"}


def test_certified_hours_and_redemptions(world):
    store, clock, _ = world
    ledger = Ledger(store, clock=clock)
    ledger.certify(VOLUNTEER, 4, "社区消防演练", "p-worker-01")
    with pytest.raises(LedgerError):
        ledger.redeem(VOLUNTEER, 5, "兑换米油", "p-worker-01")  # more than the balance
    ledger.redeem(VOLUNTEER, 3, "兑换米油", "p-worker-01")
    with pytest.raises(LedgerError):
        ledger.certify(VOLUNTEER, 2, "", "p-worker-01")  # a reason is required
    with pytest.raises(LedgerError):
        ledger.certify(VOLUNTEER, 2, "自己给自己加", VOLUNTEER)  # a volunteer is no organiser
    balance = ledger.balance(VOLUNTEER)
    assert (balance.certified_units, balance.redeemed_units, balance.balance_units) == (4, 3, 1)


def test_migration_0018_matches_tables_and_downgrades(store):
    mine = {"welfare_observations", "welfare_false_alarms", "patrol_checkpoints", "patrol_routes",
            "checkpoint_visits", "patrol_sessions", "volunteer_hours"}
    assert_migration_matches_and_downgrades(store.db_url, mine, "0017")
