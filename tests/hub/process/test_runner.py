"""HubRunner: the whole hub in-process (uvicorn thread + bridge), as the demo and e2e tests use it.
The first test runs on SQLite and PostgreSQL: the full MQTT -> PostgreSQL path."""
from __future__ import annotations

import httpx

from hub import sample
from hub.org.geojson_io import load_community
from hub.process.runner import HubRunner

from ..conftest import wait_until


def test_hub_runner_serves_http_and_mqtt(hub_settings, terminals, sign_in):
    settings = hub_settings.model_copy(update={"http_port": 0})
    with HubRunner(settings) as runner:
        wait_until(lambda: httpx.get(f"{runner.base_url}/api/health").json()["broker"] == "connected")
        kiosk = terminals()
        report = kiosk.report()
        kiosk.send(report)
        wait_until(lambda: kiosk.committed_ids() == [report.id])
        assert httpx.get(f"{runner.base_url}/api/records/{report.id}").status_code == 401  # needs a session
        load_community(runner.store, sample.load_raw())
        with httpx.Client(base_url=runner.base_url) as http:
            sign_in(http, runner.store, role="admin", scope="440400")
            assert http.get(f"/api/records/{report.id}").status_code == 200
        assert runner.store.count_records() == 1


def test_hub_runner_with_embedded_broker(tmp_path, unique):
    from hub.settings import HubSettings

    settings = HubSettings(data_dir=tmp_path / "hub", broker_url="embedded", http_port=0, client_id=f"hub-{unique}")
    with HubRunner(settings) as runner:
        assert runner.broker_url.startswith("mqtt://127.0.0.1:")
        wait_until(lambda: httpx.get(f"{runner.base_url}/api/health").status_code == 200)
