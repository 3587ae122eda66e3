"""KPIs over time (GET /api/kpis/trend) on SQLite and PostgreSQL: calendar buckets in Asia/Shanghai (a case
filed at 23:30 local on the last day of a month lands in that month, weeks start on Monday), per-bucket counts
that add up to /api/kpis's figures for the same span, scope refusal and the bucket limit."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.cases import CaseService, kpi_trend
from hub.cases.kpi_trend import MAX_BUCKETS, bucket_edges, compute_trend
from hub.cases.kpis import KpiError, compute_kpis
from hub.settings import HubSettings
from tests.hub.cases.test_kpis import COMM_A, COMM_B, GRID_1, NOW, SH, STREET, History, seed_week

MONTH_END = datetime(2024, 5, 31, 23, 30, tzinfo=SH)  # 15:30 UTC: still May in Beijing, and in UTC too
JUNE_START = datetime(2024, 6, 1, 0, 30, tzinfo=SH)  # 31 May 16:30 UTC: June in Beijing, May in UTC


@pytest.fixture
def history(store, clock):
    ids = seed_week(store, clock)
    h = History(CaseService(store, clock=clock), clock)
    for when in (MONTH_END, JUNE_START):
        case = h.open(when, "E0101", GRID_1, COMM_A)
        h.do(case, when, "file", "d1")
    clock.now = NOW.astimezone(UTC)
    return ids


def by_label(trend):
    return {p.label: p.kpis for p in trend.points}


def test_bucket_edges_are_calendar_buckets():
    assert bucket_edges(date(2024, 6, 5), date(2024, 6, 5), "week") == [date(2024, 6, 3), date(2024, 6, 10)]
    assert bucket_edges(date(2024, 12, 15), date(2025, 1, 2), "month") == [
        date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]
    assert len(bucket_edges(date(2024, 1, 1), date(2024, 12, 31), "day")) == 367  # 366 days of a leap year
    with pytest.raises(KpiError, match="too many buckets"):
        bucket_edges(date(2023, 1, 1), date(2024, 1, 2), "day")  # 367 days
    with pytest.raises(KpiError, match="too many buckets"):
        bucket_edges(date(1, 1, 1), date(9999, 12, 31), "month")
    with pytest.raises(KpiError):
        bucket_edges(date(2024, 6, 2), date(2024, 6, 1), "day")


def test_month_and_day_buckets_in_local_time(store, clock, history):
    months = compute_trend(store, first_day=date(2024, 5, 20), last_day=date(2024, 6, 9), bucket="month",
                           time_zone="Asia/Shanghai", clock=clock)
    assert [p.label for p in months.points] == ["2024-05", "2024-06"]
    assert months.points[0].start == datetime(2024, 4, 30, 16, 0, tzinfo=UTC)  # 1 May 00:00 Beijing
    may, june = by_label(months)["2024-05"], by_label(months)["2024-06"]
    # May: the 23:30 case on the 31st (and E, reported 27 May). June: the 00:30 case on the 1st and the week's 6.
    assert (may.reported, may.filed) == (2, 2)
    assert (june.reported, june.filed) == (7, 6)
    days = by_label(compute_trend(store, first_day=date(2024, 5, 31), last_day=date(2024, 6, 1), bucket="day",
                                  time_zone="Asia/Shanghai", clock=clock))
    assert (days["2024-05-31"].filed, days["2024-06-01"].filed) == (1, 1)
    # The same data cut in UTC days puts both cases on 31 May: the zone decides, not the storage.
    utc_days = by_label(compute_trend(store, first_day=date(2024, 5, 31), last_day=date(2024, 6, 1), bucket="day",
                                      time_zone="UTC", clock=clock))
    assert (utc_days["2024-05-31"].filed, utc_days["2024-06-01"].filed) == (2, 0)


@pytest.mark.parametrize("max_ids", [20_000, 0], ids=["by-id", "scan"])
def test_each_point_is_the_kpi_tables_total(store, clock, history, monkeypatch, max_ids):
    # Every figure of every bucket (rates, means, the counts behind them) is compute_kpis's total for that bucket:
    # the trend's SQL runs the same measures over the cases a bucket touches, nothing more or less - whether the
    # bucket's cases are reached by id or (a bucket above MAX_IDS cases) by scanning the table.
    monkeypatch.setattr(kpi_trend, "MAX_IDS", max_ids)
    for bucket, first, last in (("day", date(2024, 5, 26), date(2024, 6, 6)), ("week", date(2024, 5, 20),
                                                                              date(2024, 6, 9))):
        trend = compute_trend(store, first_day=first, last_day=last, bucket=bucket, time_zone="Asia/Shanghai",
                              clock=clock)
        assert any(p.kpis.cohort_closed for p in trend.points) and any(p.kpis.reworked_closed for p in trend.points)
        for point in trend.points:
            table = compute_kpis(store, start=point.start, end=point.end, group_by="grid", now=NOW).total
            assert point.kpis == replace(table, name="", overdue_now=0), point.label
    with pytest.raises(KpiError, match="unknown unit"):
        compute_trend(store, first_day=date(2024, 6, 3), last_day=date(2024, 6, 3), bucket="day",
                      time_zone="Asia/Shanghai", unit="999999")


@pytest.fixture
def client(store, tmp_path, clock, history, sign_in):
    app = create_app(HubSettings(data_dir=tmp_path / "data", time_zone="Asia/Shanghai"), store=store,
                     start_bridge=False, clock=clock)
    with TestClient(app) as test_client:
        sign_in(test_client, store, role="viewer", scope="440400")
        yield test_client


def test_api_weeks_add_up_to_the_kpi_table(client):
    body = client.get("/api/kpis/trend", params={"from": "2024-05-22", "to": "2024-06-09", "bucket": "week"}).json()
    assert [p["label"] for p in body["points"]] == ["2024-05-20", "2024-05-27", "2024-06-03"]  # Mondays
    assert body["start"].startswith("2024-05-19T16:00:00") and body["end"].startswith("2024-06-09T16:00:00")
    assert body["time_zone"] == "Asia/Shanghai" and "overdue_now" not in body  # a snapshot of now, not a series
    week = body["points"][2]
    assert (week["filed"], week["closure_rate"], week["rework_rate"]) == (5, 0.4, 0.5)  # test_kpis's week
    table = client.get("/api/kpis", params={"from": body["start"], "to": body["end"], "group_by": "grid"}).json()
    for figure in ("reported", "filed", "closed"):
        assert sum(p[figure] for p in body["points"]) == table["total"][figure], figure
    assert table["total"]["filed"] == 8  # E, the two month-edge cases, and the week's five


def test_api_scope_and_limits(client, store, sign_in):
    days = {"from": "2024-05-31", "to": "2024-06-09", "bucket": "day"}
    everything = client.get("/api/kpis/trend", params=days).json()
    sign_in(client, store, role="dispatcher", scope=COMM_A)
    mine = client.get("/api/kpis/trend", params=days).json()
    assert mine["unit"] == COMM_A and len(mine["points"]) == 10
    assert sum(p["reported"] for p in mine["points"]) < sum(p["reported"] for p in everything["points"])
    assert client.get("/api/kpis/trend", params=days | {"unit": STREET}).json()["unit"] == COMM_A  # narrowed
    assert client.get("/api/kpis/trend", params=days | {"unit": COMM_B}).status_code == 404  # another community
    too_long = client.get("/api/kpis/trend", params={"from": "2023-01-01", "to": "2024-01-02", "bucket": "day"})
    assert too_long.status_code == 422 and "too many buckets" in too_long.text
    assert client.get("/api/kpis/trend", params={"from": "1990-01-01", "to": "2024-01-01",
                                                 "bucket": "month"}).status_code == 422  # 409 months
    assert client.get("/api/kpis/trend", params={"from": "2024-01-01", "to": "2023-01-01"}).status_code == 422
    assert client.get("/api/kpis/trend", params=days | {"bucket": "hour"}).status_code == 422
    assert client.get("/api/kpis/trend", params={"from": "9999-12-01", "to": "9999-12-31",
                                                 "bucket": "month"}).status_code == 422  # past year 9999
    months = client.get("/api/kpis/trend", params={"from": "2023-01-01", "to": "2024-12-31", "bucket": "month"})
    assert months.status_code == 200 and len(months.json()["points"]) == 24
    year = client.get("/api/kpis/trend", params={"from": "2024-01-01", "to": "2024-12-31", "bucket": "day"})
    assert len(year.json()["points"]) == MAX_BUCKETS  # a leap year of days is just allowed
