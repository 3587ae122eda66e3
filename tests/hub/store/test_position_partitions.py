"""Position tracks in daily partitions (migration 0009, hub/store/partitions.py) on a real PostgreSQL, each test
on a fresh database; SQLite keeps its one plain table."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from gridline.cli import main as gridline_main
from hub.app import position_partition_jobs
from hub.mqtt.ingest import ingest_batch
from hub.settings import HubSettings
from hub.store import HubStore, upgrade
from hub.store.locks import ClusterLock
from hub.store.partitions import (
    PositionPartitions,
    day_bound,
    maintain_once,
    partition_name,
)
from protocol import Position as LatLon
from protocol import PositionFix, ResidentCheckin, uuid7

from ..conftest import T0, Device, raw
from .pg_plans import planned_relations

DAY = timedelta(days=1)
ROW = ("SELECT id, device_id, seq, kind, payload, content_sha256, device_time, received_at FROM records "
       "ORDER BY id, kind")


class Phone(Device):
    def fix(self, created_at: datetime = T0, record_id: str | None = None, lat: float = 22.25) -> PositionFix:
        self.seq += 1
        return PositionFix(id=record_id or uuid7(int(created_at.timestamp() * 1000)), device_id=self.id,
                           seq=self.seq, created_at=created_at, position=LatLon(lat=lat, lon=113.53, accuracy_m=5))

    def checkin(self, record_id: str) -> ResidentCheckin:
        self.seq += 1
        return ResidentCheckin(id=record_id, device_id=self.id, seq=self.seq, created_at=T0, checkin_kind="wellbeing",
                               resident_key="a" * 64)


@pytest.fixture
def phone(unique) -> Phone:
    return Phone(f"phone-{unique}")


def keeper(store: HubStore, retention_days: int = 180, days_ahead: int = 3) -> PositionPartitions:
    return PositionPartitions(store.engine, retention_days=retention_days, days_ahead=days_ahead, clock=store.clock)


def stored_in(store: HubStore, record_id: str) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT tableoid::regclass::text FROM records WHERE id = :id"),
                                   {"id": record_id}).scalars())


def snapshot(store: HubStore) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(ROW))]


def insert_raw_position(store: HubStore, record_id: str, device_id: str, received_at: datetime = T0) -> None:
    """A row no device could send today (pre-v7 id, imported data): only SQL can put it there."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO records VALUES (:id, :dev, 1, 'position', '{}', :sha, :t, :t)"),
                     {"id": record_id, "dev": device_id, "sha": "0" * 64, "t": received_at})


def day(at: datetime) -> str:
    return partition_name(at.date())


def test_day_bounds_are_the_v7_prefix_of_midnight():
    ms = int(datetime(2024, 6, 1, tzinfo=UTC).timestamp() * 1000)
    assert day_bound(date(2024, 6, 1)) == uuid7(ms)[:13]
    assert day_bound(date(2024, 6, 1)) <= uuid7(ms) < uuid7(ms + 86_400_000 - 1) < day_bound(date(2024, 6, 2))


def test_migration_from_0008_keeps_every_row_and_files_it(pg_url, tmp_path, clock, phone):
    upgrade(pg_url, "0008")
    store = HubStore(pg_url, tmp_path / "data", clock=clock)
    try:
        fixes = [phone.fix(T0), phone.fix(T0 - DAY), phone.fix(T0 - 3 * DAY)]
        report = phone.report("井盖缺失")
        ingest_batch([raw(m) for m in [*fixes, report]], store)
        insert_raw_position(store, "legacy-position-0001", phone.id)
        with store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO action_outcomes (record_id, outcome, processed_at) "
                                 "VALUES (:id, 'applied', :t)"), {"id": report.id, "t": T0})
        before = snapshot(store)

        upgrade(pg_url)
        assert snapshot(store) == before
        assert stored_in(store, fixes[0].id) == [day(T0)]
        assert stored_in(store, fixes[1].id) == [day(T0 - DAY)]
        assert stored_in(store, fixes[2].id) == [day(T0 - 3 * DAY)]
        assert stored_in(store, "legacy-position-0001") == ["records_position_default"]
        assert stored_in(store, report.id) == ["records_other"]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT relkind FROM pg_class WHERE relname = 'records'")).scalar() == "p"
            assert conn.execute(sa.text("SELECT count(*) FROM action_outcomes")).scalar() == 1
        with pytest.raises(sa.exc.IntegrityError):  # the foreign key still guards outcomes
            with store.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO action_outcomes (record_id, outcome, processed_at) "
                                     "VALUES (:id, 'applied', :t)"), {"id": uuid7(), "t": T0})
        # A device re-sending after the upgrade is still answered "duplicate".
        again = ingest_batch([raw(fixes[0]), raw(report)], store)
        assert again.stored_records == 0 and again.duplicate_records == 2

        from alembic import command

        from hub.store.migrate import alembic_config

        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0008")
        assert snapshot(store) == before
        assert sa.inspect(store.engine).get_pk_constraint("records")["constrained_columns"] == ["id"]
        upgrade(pg_url)
        assert snapshot(store) == before
    finally:
        store.close()


def test_positions_land_in_their_day_and_other_kinds_in_records_other(pg_store, phone):
    assert keeper(pg_store).maintain().created == [day(T0 + n * DAY) for n in range(4)]
    today, tomorrow, report = phone.fix(T0), phone.fix(T0 + DAY), phone.report("路灯不亮")
    checkin = phone.checkin(uuid7())
    result = ingest_batch([raw(m) for m in (today, tomorrow, report, checkin)], pg_store)
    assert result.stored_records == 4
    assert stored_in(pg_store, today.id) == [day(T0)]
    assert stored_in(pg_store, tomorrow.id) == [day(T0 + DAY)]
    assert stored_in(pg_store, report.id) == stored_in(pg_store, checkin.id) == ["records_other"]
    assert pg_store.get_record(tomorrow.id).payload_dict()["position"]["lat"] == 22.25


def test_a_resent_position_is_still_a_duplicate(pg_store, phone):
    keeper(pg_store).maintain()
    fixes = [phone.fix(T0 + timedelta(minutes=i)) for i in range(5)]
    first = ingest_batch([raw(f) for f in fixes], pg_store)
    assert first.stored_records == 5
    again = ingest_batch([raw(f) for f in fixes] + [raw(fixes[0])], pg_store)
    assert again.stored_records == 0 and again.duplicate_records == 6
    assert again.devices[phone.id].committed == [f.id for f in fixes] + [fixes[0].id]
    assert pg_store.count_records(device_id=phone.id) == 5

    changed = fixes[1].model_copy(update={"position": LatLon(lat=23.0, lon=113.53, accuracy_m=5)})
    clash = ingest_batch([raw(changed)], pg_store)  # same id, other content: the original stays
    assert clash.conflicts == 1 and pg_store.get_record(fixes[1].id).payload_dict()["position"]["lat"] == 22.25

    # Residual difference of the (id, kind) key: an id reused across a position and another kind is stored twice
    # (one device-made UUIDv7 minted for two records = a broken device). Between non-position kinds
    # records_other's own UNIQUE (id) still refuses it as before.
    report = phone.report("同号", record_id=fixes[2].id)
    assert ingest_batch([raw(report)], pg_store).stored_records == 1
    assert stored_in(pg_store, fixes[2].id) == sorted([day(T0), "records_other"])
    assert ingest_batch([raw(phone.checkin(report.id))], pg_store).conflicts == 1


def test_the_default_partition_catches_odd_ids_until_their_day_exists(pg_store, phone, clock):
    keeper(pg_store).maintain()
    early = phone.fix(T0 + 10 * DAY)  # a phone whose clock runs ten days ahead
    assert ingest_batch([raw(early)], pg_store).stored_records == 1
    insert_raw_position(pg_store, "legacy-position-0002", phone.id)
    assert stored_in(pg_store, early.id) == stored_in(pg_store, "legacy-position-0002") == ["records_position_default"]
    assert pg_store.get_record("legacy-position-0002").kind == "position"

    clock.advance(8 * 24 * 3600)  # the job now prepares T0+8 .. T0+11: T0+10's rows move out of the default
    result = keeper(pg_store).maintain()
    assert day(T0 + 10 * DAY) in result.created and result.adopted == 1
    assert stored_in(pg_store, early.id) == [day(T0 + 10 * DAY)]
    assert stored_in(pg_store, "legacy-position-0002") == ["records_position_default"]
    assert ingest_batch([raw(early)], pg_store).duplicate_records == 1


def test_retention_drops_only_old_position_days(pg_store, phone, clock):
    keeper(pg_store, retention_days=30).maintain()
    old = [phone.fix(T0), phone.fix(T0 + DAY)]
    report = phone.report("old report")
    far_ahead = phone.fix(T0 + 700 * DAY)  # lands in the default, received at T0
    ingest_batch([raw(m) for m in (*old, report, far_ahead)], pg_store)

    clock.advance(40 * 24 * 3600)
    fresh = phone.fix(clock.now)
    recent_odd = phone.fix(T0 + 800 * DAY)  # default again, but received now
    ingest_batch([raw(fresh, clock.now), raw(recent_odd, clock.now)], pg_store)
    assert keeper(pg_store, retention_days=0).maintain().dropped == []  # 0 = keep forever
    result = keeper(pg_store, retention_days=30).maintain()

    assert result.dropped == [day(T0 + n * DAY) for n in range(4)]
    assert result.purged_default == 1
    days = {p.day for p in keeper(pg_store).partitions() if p.day}
    assert {(clock.now + n * DAY).date() for n in range(4)} <= days
    assert min(days) >= (clock.now - 30 * DAY).date()
    assert [r.id for r in pg_store.list_records(kind="position", limit=10)[0]] == sorted([fresh.id, recent_odd.id])
    assert pg_store.get_record(report.id).kind == "report"  # never touched
    assert pg_store.count_records(kind="report") == 1


def test_maintenance_runs_once_across_hub_workers(pg_url, tmp_path, clock):
    a, b = (HubStore(pg_url, tmp_path / name, clock=clock) for name in ("a", "b"))
    a.migrate()
    try:
        with ClusterLock(a.engine, "position-partitions").held() as got:
            assert got
            assert maintain_once(keeper(b), ClusterLock(b.engine, "position-partitions")) is None
        assert not {day(T0)} & {p.name for p in keeper(a).partitions()}

        start, results, errors = threading.Barrier(2), [], []

        def worker(store: HubStore) -> None:
            start.wait()
            try:
                results.append(maintain_once(keeper(store), ClusterLock(store.engine, "position-partitions"), 10))
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(s,)) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(len(r.created) for r in results) == [0, 4]  # one did the work, the other found it done
    finally:
        a.close()
        b.close()


def test_the_hub_registers_the_job_on_postgresql_only(pg_store, tmp_path, clock):
    settings = HubSettings(db_url=pg_store.db_url, data_dir=tmp_path)
    [job] = position_partition_jobs(settings, pg_store, clock)
    stop = threading.Event()
    stop.set()  # the first pass runs at once, then the loop sees the stop
    job.run_forever(stop)
    assert job.name == "position-partitions" and job.handle.passes == 1
    assert day(T0 + 3 * DAY) in {p.name for p in job.handle.partitions()}

    sqlite = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "lite", clock=clock)
    try:
        assert position_partition_jobs(HubSettings(data_dir=tmp_path), sqlite, clock) == []
    finally:
        sqlite.close()


def test_sqlite_keeps_one_plain_table(tmp_path, clock, phone):
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "data", clock=clock)
    store.migrate()
    try:
        assert sa.inspect(store.engine).get_pk_constraint("records")["constrained_columns"] == ["id"]
        assert keeper(store).maintain().created == [] and keeper(store).partitions() == []
        fix = phone.fix()
        assert ingest_batch([raw(fix), raw(fix)], store).duplicate_records == 1
    finally:
        store.close()


def plan_tables(store: HubStore, sql: str, params: dict) -> set[str]:
    with store.engine.connect() as conn:
        return planned_relations(conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) {sql}"), params).scalar())


def test_query_paths_stay_pruned(pg_store, phone):
    keeper(pg_store).maintain()
    fixes = [phone.fix(T0 + timedelta(minutes=i)) for i in range(3)] + [phone.fix(T0 + DAY)]
    ingest_batch([raw(f, T0 + timedelta(minutes=i)) for i, f in enumerate(fixes)], pg_store)
    # One record by id (receipts, duplicate look-ups, case source records): its day and records_other only.
    by_id = plan_tables(pg_store, "SELECT * FROM records WHERE id = :id", {"id": fixes[0].id})
    assert by_id == {day(T0), "records_other"}
    odd = plan_tables(pg_store, "SELECT * FROM records WHERE id = :id", {"id": "legacy-position-0003"})
    assert odd == {"records_position_default", "records_other"}
    # Reports by kind never read a position partition.
    reports = plan_tables(pg_store, "SELECT * FROM records WHERE kind = 'report' ORDER BY received_at LIMIT 5", {})
    assert reports == {"records_other"}
    # A device's track over a time window (the /api/records path): right rows, oldest first.
    rows, _ = pg_store.list_records(kind="position", device_id=phone.id, since=T0, until=T0 + timedelta(minutes=2))
    assert [r.id for r in rows] == [f.id for f in fixes[:2]]


def test_cli_lists_and_maintains(pg_store, capsys):
    assert gridline_main(["hub", "partitions", "maintain", "--db", pg_store.db_url]) == 0
    assert gridline_main(["hub", "partitions", "list", "--db", pg_store.db_url]) == 0
    out = capsys.readouterr().out
    assert "records_position_default" in out and "dropped 0" in out
