"""Run the whole hub (HTTP API + MQTT bridge) in-process, in a background thread.

For the demo and end-to-end tests::

    runner = HubRunner(HubSettings(data_dir=..., broker_url="embedded", http_port=0)).start()
    runner.base_url      # http://127.0.0.1:<port>
    runner.broker_url    # the broker actually used (the embedded one's URL if "embedded")
    runner.store         # HubStore, e.g. runner.store.count_records()
    runner.stop()
"""
from __future__ import annotations

import threading
import time

import uvicorn

from hub.app import create_app
from hub.settings import HubSettings


class HubRunner:
    def __init__(self, settings: HubSettings, **create_app_kwargs):
        self.settings = settings
        self.app = create_app(settings, **create_app_kwargs)
        self._server = uvicorn.Server(uvicorn.Config(self.app, host=settings.http_host, port=settings.http_port,
                                                     log_level="warning", lifespan="on",
                                                     **settings.uvicorn_proxy_options()))
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> HubRunner:
        self._thread = threading.Thread(target=self._server.run, name="hub-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("hub failed to start (see log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"hub did not start within {timeout}s")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def port(self) -> int:
        return self._server.servers[0].sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.http_host}:{self.port}"

    @property
    def store(self):
        return self.app.state.store

    @property
    def bridge(self):
        return self.app.state.bridge

    @property
    def broker_url(self) -> str | None:
        return self.app.state.broker_url

    def __enter__(self) -> HubRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
