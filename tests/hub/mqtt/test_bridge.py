"""Bridge against a real Mosquitto, with plain-paho fake terminals.

Each test gets its own broker (``own_broker``): the hub subscribes to every device's uplinks, so on
a shared broker it would receipt other suites' devices (and their traffic would disturb ours)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from protocol import encode, topics

from ..conftest import wait_until

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_receipts_only_after_commit_and_only_for_committed_ids(bridge, terminals):
    kiosk = terminals("kiosk")
    seen_uncommitted = []
    original = kiosk._on_message

    def checking(client, userdata, message):
        original(client, userdata, message)
        for receipt in list(kiosk.receipts):
            seen_uncommitted.extend(rid for rid in receipt.committed if bridge.store.get_record(rid) is None)

    kiosk.client.on_message = checking
    reports = [kiosk.report(f"#{i}") for i in range(30)]
    for report in reports:
        kiosk.send(report)
    wait_until(lambda: len(kiosk.committed_ids()) >= 30)
    assert sorted(kiosk.committed_ids()) == sorted(r.id for r in reports)
    assert seen_uncommitted == []
    assert bridge.store.count_records(device_id=kiosk.id) == 30


def test_receipts_go_only_to_the_sender(bridge, terminals):
    a, b = terminals("kiosk"), terminals("tablet")
    ra, rb = a.report(), b.report()
    a.send(ra)
    b.send(rb)
    wait_until(lambda: a.committed_ids() and b.committed_ids())
    assert a.committed_ids() == [ra.id] and b.committed_ids() == [rb.id]


def test_identical_resend_is_receipted_again_and_stored_once(bridge, terminals):
    kiosk = terminals()
    report = kiosk.report()
    kiosk.send(report)
    wait_until(lambda: kiosk.committed_ids() == [report.id])
    kiosk.send(report)
    wait_until(lambda: kiosk.committed_ids() == [report.id, report.id])
    assert bridge.store.count_records(device_id=kiosk.id) == 1


def test_conflicting_record_is_rejected_not_receipted(bridge, terminals):
    kiosk = terminals()
    original = kiosk.report("original", seq=1)
    kiosk.send(original)
    wait_until(lambda: kiosk.committed_ids())
    kiosk.send(kiosk.report("tampered", record_id=original.id, seq=1))
    wait_until(lambda: kiosk.rejected())
    assert [(r.id, r.reason) for r in kiosk.rejected()] == [(original.id, "conflict")]
    assert kiosk.committed_ids() == [original.id]
    assert bridge.store.get_record(original.id).payload_dict()["note"] == "original"
    assert bridge.store.count_dead_letters(reason="conflict") == 1


def test_bad_messages_are_dead_lettered_and_traffic_behind_them_still_flows(bridge, terminals):
    kiosk, other = terminals("kiosk"), terminals("phone")
    good = kiosk.report("after the garbage")
    report_topic = topics.uplink(kiosk.id, "report")
    wrong_version = json.loads(encode(kiosk.report()))
    wrong_version["v"] = 99
    spoofed = other.report()  # published on kiosk's topic, claims to be from `other`
    kiosk.send_raw(report_topic, b"\xff\xfe not json")
    kiosk.send_raw(report_topic, b'{"v": 1, "kind": "report", "id": 5}')
    kiosk.send_raw(report_topic, json.dumps(wrong_version).encode())
    kiosk.send_raw(report_topic, encode(spoofed))
    kiosk.send_raw(report_topic, b"[" * 300_000)  # over the payload cap
    kiosk.send_raw(f"gridline/v1/dev/{kiosk.id}/up/gossip", b"{}")
    kiosk.send(good)
    wait_until(lambda: kiosk.committed_ids())
    assert kiosk.committed_ids() == [good.id] and other.committed_ids() == []
    wait_until(lambda: bridge.store.count_dead_letters(device_id=kiosk.id) >= 6)
    reasons = sorted(d.reason for d in bridge.store.list_dead_letters(device_id=kiosk.id))
    assert reasons == sorted(["not_json", "invalid", "unsupported_version", "device_mismatch",
                              "payload_too_large", "unknown_kind"])
    assert bridge.store.get_record(spoofed.id) is None


def test_database_outage_delays_receipts_but_loses_nothing(bridge, terminals, monkeypatch):
    kiosk = terminals()
    real_store_batch = bridge.store.store_batch
    failures = []

    def flaky(items):
        if len(failures) < 3:
            failures.append(1)
            raise sa.exc.OperationalError("INSERT", {}, Exception("could not connect to server"))
        return real_store_batch(items)

    monkeypatch.setattr(bridge.store, "store_batch", flaky)
    report = kiosk.report()
    kiosk.send(report)
    wait_until(lambda: len(failures) >= 2)
    assert kiosk.committed_ids() == []  # nothing receipted while the DB is down
    wait_until(lambda: kiosk.committed_ids() == [report.id])
    assert bridge.stats.db_failures == 3 and bridge.store.get_record(report.id) is not None


def test_hub_down_messages_wait_in_the_broker_session(hub_settings, terminals):
    from hub.mqtt.bridge import MqttBridge
    from hub.store import HubStore

    store = HubStore.from_settings(hub_settings)
    store.migrate()
    first = MqttBridge(hub_settings, store).start()
    assert first.connected.wait(5)
    first.stop()  # persistent session: the broker queues uplinks for the hub meanwhile
    kiosk = terminals()
    reports = [kiosk.report() for _ in range(5)]
    for report in reports:
        kiosk.send(report)
    second = MqttBridge(hub_settings, store).start()
    try:
        wait_until(lambda: len(kiosk.committed_ids()) == 5)
        assert store.count_records(device_id=kiosk.id) == 5
    finally:
        second.stop()
        store.close()


def test_broker_restart_resubscribes(bridge, terminals, own_broker):
    kiosk = terminals()
    connects = kiosk.connects
    own_broker.restart()
    wait_until(lambda: bridge.connected.is_set() and bridge.stats.connects >= 2, timeout=15)
    wait_until(lambda: kiosk.connects > connects, timeout=15)  # its first connection's flag would pass at once
    report = kiosk.report()
    kiosk.send(report)
    wait_until(lambda: kiosk.committed_ids() == [report.id], timeout=15)


def test_presence_follows_status_and_last_will(bridge, terminals):
    kiosk = terminals()
    wait_until(lambda: (d := bridge.store.get_device(kiosk.id)) and d.state == "online")
    kiosk.drop()
    wait_until(lambda: bridge.store.get_device(kiosk.id).state == "offline", timeout=60)


def test_hub_status_is_retained_online(bridge, own_broker, unique):
    import paho.mqtt.subscribe as subscribe

    from protocol import decode_status, parse_broker_url

    address = parse_broker_url(own_broker.url)
    message = subscribe.simple(topics.hub_status(), hostname=address.host, port=address.port, retained=True)
    assert decode_status(message.topic, message.payload).state == "online"
