"""Bridge and broker configuration: auth failure stops reconnecting; $share groups split the stream."""
from __future__ import annotations

import subprocess
import time

import pytest

from hub.mqtt.bridge import MqttBridge
from hub.mqtt.embedded_broker import ManagedBroker
from hub.store import HubStore
from tests.isolation import free_port

from ..conftest import FakeTerminal, wait_until

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_auth_failure_stops_the_bridge(tmp_path, hub_settings):
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "hub", "right"], check=True)
    broker = ManagedBroker(tmp_path / "authbroker", port=free_port(), engine="mosquitto",
                           extra_config=f"password_file {passwords}").start()
    try:
        settings = hub_settings.model_copy(update={"broker_url": f"mqtt://hub:wrong@127.0.0.1:{broker.port}"})
        store = HubStore.from_settings(settings)
        store.migrate()
        bridge = MqttBridge(settings, store).start()
        wait_until(lambda: bridge.stats.auth_failure, timeout=10)
        time.sleep(2.5)  # paho's reconnect delay is >= 1 s: a retrying client would have tried again
        assert bridge.stats.refused_connects == 1 and bridge.stats.connects == 0 and not bridge.connected.is_set()
        assert "authorized" in bridge.stats.auth_failure.lower() or "password" in bridge.stats.auth_failure.lower()
        bridge.stop(timeout=2)
        store.close()
    finally:
        broker.stop()


def test_share_group_splits_uplinks_between_workers(tmp_path, hub_settings, own_broker, unique):
    workers = []
    for n in range(2):
        settings = hub_settings.model_copy(update={
            "share_group": f"hubs{unique}", "client_id": f"hub-{unique}-{n}",
            "db_url": f"sqlite:///{tmp_path / f'w{n}.db'}", "data_dir": tmp_path / f"w{n}"})
        store = HubStore.from_settings(settings)
        store.migrate()
        workers.append(MqttBridge(settings, store).start())
    try:
        for worker in workers:
            assert worker.connected.wait(5)
        kiosk = FakeTerminal(f"kiosk-{unique}", own_broker.url).connect()
        reports = [kiosk.report() for _ in range(40)]
        for report in reports:
            kiosk.send(report)
        wait_until(lambda: len(set(kiosk.committed_ids())) == 40)
        counts = [w.store.count_records() for w in workers]
        assert sum(counts) == 40  # each uplink went to exactly one worker
        kiosk.disconnect()
    finally:
        for worker in workers:
            worker.stop()
            worker.store.close()
