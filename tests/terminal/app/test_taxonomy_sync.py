"""The report screen offers the hub's category list once it arrives, and keeps it across restarts."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from protocol import DownlinkMessage, TaxonomyBody, TaxonomyEntry, TaxonomyMajor, uuid7

T = datetime(2026, 11, 22, 9, tzinfo=UTC)


def taxonomy_message(device_id: str, codes: list[str], published_at: datetime) -> DownlinkMessage:
    body = TaxonomyBody(
        revision=f"{abs(hash(tuple(codes))):016x}"[:16], published_at=published_at,
        major_classes=[TaxonomyMajor(kind="event", major_code="05", name_zh="街面秩序")],
        categories=[TaxonomyEntry(code=c, kind="event", major_code="05", name_zh=f"类别{c}") for c in codes])
    return DownlinkMessage(id=uuid7(), device_id=device_id, kind="taxonomy", body=body.model_dump(mode="json"),
                           created_at=published_at)


def deliver(ctx, message: DownlinkMessage) -> None:
    assert ctx.device.store.store_downlink(message)
    ctx.device.engine.on_downlink(message)


def test_the_hubs_list_replaces_the_bundled_one_and_the_newest_wins(make_context):
    kiosk = make_context("kiosk")
    bundled = [c.code for c in kiosk.report.categories]
    assert "E0101" in bundled and len(bundled) > 20
    kiosk.report.choose_category("E0101")
    refreshed = []
    kiosk.on_change = lambda: refreshed.append(1)

    deliver(kiosk, taxonomy_message(kiosk.device.device_id, ["E0501", "E0502"], T))
    assert [c.code for c in kiosk.report.categories] == ["E0501", "E0502"]
    assert kiosk.report.majors() == [("event:05", "街面秩序")]
    assert kiosk.report.category is None and refreshed  # E0101 is no longer offered
    # an older list arriving late (re-sent after a reconnect) does not win
    deliver(kiosk, taxonomy_message(kiosk.device.device_id, ["E0101"], T - timedelta(hours=1)))
    assert [c.code for c in kiosk.report.categories] == ["E0501", "E0502"]


def test_the_synced_list_survives_an_app_restart(make_context):
    kiosk = make_context("kiosk", device_id="kiosk-restart-01")
    deliver(kiosk, taxonomy_message(kiosk.device.device_id, ["E0503"], T))
    kiosk.stop()
    again = make_context("kiosk", device_id="kiosk-restart-01")
    assert [c.code for c in again.report.categories] == ["E0503"]
