"""After a reconnect that resumes the hub's session, the broker resends everything the hub had not acked: the
copies still queued from the old connection are skipped, not stored twice, and nothing is lost."""
from __future__ import annotations

import socket
import threading

import pytest

import hub.mqtt.bridge as bridge_module

from ..conftest import wait_until

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_queued_copies_of_resent_messages_are_skipped(bridge, terminals, monkeypatch):
    release = threading.Event()
    real_ingest = bridge_module.ingest_batch

    def slow_first_batch(raws, store):
        release.wait(20)  # the database is stuck: uplinks pile up in the bridge's queue, unacked
        return real_ingest(raws, store)

    monkeypatch.setattr(bridge_module, "ingest_batch", slow_first_batch)
    kiosk = terminals("kiosk")
    reports = [kiosk.report() for _ in range(120)]
    for report in reports:
        kiosk.send(report)
    wait_until(lambda: bridge.stats.received >= 120)
    assert bridge.queue_depth > 0
    connects = bridge.stats.connects

    bridge._client.socket().shutdown(socket.SHUT_RDWR)  # the link drops; paho reconnects, session resumed
    wait_until(lambda: bridge.stats.connects > connects, timeout=15)
    wait_until(lambda: bridge.stats.received >= 240, timeout=15)  # the broker resent all 120 unacked
    release.set()

    wait_until(lambda: set(kiosk.committed_ids()) >= {r.id for r in reports}, timeout=20)
    assert bridge.store.count_records() == 120
    assert bridge.stats.resent_skipped > 0  # old copies skipped: the hub did not store the backlog twice
    assert bridge.stats.stored_records == 120
