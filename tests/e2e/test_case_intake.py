"""A report captured on a kiosk becomes a case in the grid its position falls in, exactly once."""
from __future__ import annotations

import sqlalchemy as sa

from hub import sample
from hub.org.geojson_io import load_community
from hub.store.tables import cases
from terminal.device import Device

from .conftest import wait_until


def case_rows(store):
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(cases))]


def test_reports_become_routed_cases_once_and_duplicates_join(hub, tmp_path, unique):
    load_community(hub.store, sample.load_raw())
    grid2 = next(g for g in sample.grids() if g.code.endswith("002"))
    lon, lat = grid2.centre()
    with Device(f"kiosk-{unique}", tmp_path / "kiosk", hub.broker_url) as kiosk:
        first = kiosk.report("E0501", lat, lon, accuracy_m=5, note="消防通道被占用")
        kiosk.report("E0501", lat + 0.00005, lon, accuracy_m=5, note="同一处，再次上报")  # ~6 m away
        kiosk.position(lat, lon)  # not a report: no case
        assert kiosk.wait_drained(30)
    rows = wait_until(lambda: [r for r in case_rows(hub.store) if r["report_count"] == 2], 20,
                      message="a case holding both reports")
    assert len(case_rows(hub.store)) == 1
    case = rows[0]
    assert case["grid_code"] == grid2.code and case["community_code"] == "440402004005"
    # confidently routed, known category: auto-dispatch (hub/cases/dispatch.py) may already have moved it on
    assert case["source_record_id"] == first.id and case["state"] in ("reported", "filed", "dispatched")
    # another pass over the same reports changes nothing
    hub.app.state.intake.run_once()
    assert len(case_rows(hub.store)) == 1
