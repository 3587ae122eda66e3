"""Fixtures for terminal tests: a fake hub on the test's own broker and a device factory."""
from __future__ import annotations

import pytest

from terminal.device import Device

from .fake_hub import FakeHub
from .helpers import FAST_BACKOFF


@pytest.fixture
def hub(own_broker, unique):
    """A fake hub on a broker only this test uses, so no other hub can receipt our records."""
    with FakeHub(own_broker.url, device_prefix=f"t{unique}") as fake:
        yield fake


@pytest.fixture
def make_device(tmp_path, own_broker, unique):
    made: list[Device] = []

    def make(name: str = "dev", *, start: bool = True, broker_url: str | None = None, **options) -> Device:
        options.setdefault("backoff", FAST_BACKOFF)
        options.setdefault("keepalive", 5)
        device_id = f"t{unique}-{name}"
        device = Device(device_id, tmp_path / device_id, broker_url or own_broker.url, **options)
        made.append(device)
        if start:
            device.start()
            assert device.wait_connected(10), "device did not connect"
        return device

    yield make
    for device in made:
        device.stop()
