"""SQLite's planner statistics (hub/store/statistics.py): after the hub's bounded ANALYZE, the case list's "reporter
device" filter finds a device's reports by the device index, not by reading every report of every device (the
1.2 s page over 1,000,000 cases of benchmarks/case_search.py). On PostgreSQL the job is autovacuum's."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.app import planner_statistics_jobs
from hub.settings import HubSettings
from hub.store import HubStore
from hub.store.records import ids_of_device
from hub.store.statistics import refresh_planner_statistics, stat_rows
from hub.store.tables import records

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def fill(store: HubStore, devices: int, reports_each: int) -> None:
    rows = [{"id": f"r-{d:04d}-{n:04d}", "device_id": f"kiosk-{d:04d}", "seq": n, "kind": "report", "payload": "{}",
             "content_sha256": "0" * 64, "device_time": T0 + timedelta(seconds=n), "received_at": T0 + timedelta(
                 seconds=d * reports_each + n)} for d in range(devices) for n in range(reports_each)]
    with store.write() as conn:
        conn.execute(records.insert(), rows)


def device_lookup_plan(store: HubStore) -> str:
    query = ids_of_device("kiosk-0007", kind="report")
    sql = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.read() as conn:
        return " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def test_statistics_send_the_device_filter_to_the_device_index(tmp_path, clock):
    store = HubStore(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path / "data", clock=clock)
    store.migrate()
    try:
        fill(store, devices=200, reports_each=20)
        assert "ix_records_device_seq" not in device_lookup_plan(store)  # SQLite's guess without statistics
        assert refresh_planner_statistics(store) is None and stat_rows(store) == 0  # 4,000 records: too few yet
        took = refresh_planner_statistics(store, min_records=1000)
        assert took is not None and stat_rows(store) > 0
        plan = device_lookup_plan(store)
        assert "ix_records_device_seq" in plan, plan
        with store.read() as conn:
            assert len(conn.execute(ids_of_device("kiosk-0007", kind="report")).all()) == 20
    finally:
        store.close()


def test_the_job_runs_on_sqlite_only(store):
    jobs = planner_statistics_jobs(HubSettings(data_dir=store.data_dir), store)
    if store.engine.dialect.name == "sqlite":
        assert [job.name for job in jobs] == ["planner-statistics"]
    else:
        assert jobs == [] and refresh_planner_statistics(store) is None
