"""Fuzzed MQTT payloads through the real broker and bridge (tests/faults/fuzz.py, CI size; the script runs
10,000+): zero crashes, every bad message dead-lettered with a reason, actions on unknown cases or from devices
with no owner stored and then dead-lettered, replays harmless, and the good traffic in between all stored and
receipted."""
from __future__ import annotations

from hub import sample
from hub.org.geojson_io import load_community
from tests.faults.fuzz import HARMLESS, STORED_THEN_DEAD, run_fuzz


def test_two_thousand_fuzzed_messages_are_all_dead_lettered_and_good_traffic_flows(hub, tmp_path):
    load_community(hub.store, sample.load_raw())
    report = run_fuzz(hub, tmp_path / "devices", 2000, seed=6)
    print("\n".join(report.lines()))
    assert report.sent == 2000
    assert set(report.by_shape) >= {"random_bytes", "truncated_json", "wrong_type", "huge_string", "wrong_version",
                                    "spoofed_device", "unknown_confirm", *STORED_THEN_DEAD, *HARMLESS}
    assert report.empty_reasons == 0
    assert report.dead == report.expected_dead, report.reasons
    assert report.reasons["device_mismatch"] >= report.by_shape["spoofed_device"]
    assert report.reasons["action_unknown_case"] == report.by_shape["action_unknown_case"]
    assert report.reasons["action_no_owner"] == report.by_shape["action_no_owner"]
    assert report.records_added == report.records_expected, "fuzz made records, or good ones went missing"
    assert report.good_created > 0 and report.good_lost == 0 and report.good_duplicates == 0
    assert report.good_acked == report.good_created == report.good_stored
    assert report.bridge_alive and report.queue_depth == 0
    assert report.ok
