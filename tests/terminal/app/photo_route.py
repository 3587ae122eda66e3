"""The hub's device photo route (``GET /api/devices/photos/{sha}``) as far as a terminal can tell: HTTP Basic auth
with the device's credentials, the bytes it may have, 404 for what it does not hold. One fake for the phone's task
photos and the kiosk's 议事 images; ``gate`` cleared makes answers wait (a slow hub)."""
from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePhotoRoute:
    def __init__(self, device: str, secret: str, served: dict[str, bytes]):
        self.token = "Basic " + base64.b64encode(f"{device}:{secret}".encode()).decode()
        self.served = dict(served)
        self.calls: list[str] = []  # the sha of every request, in order
        self.gate = threading.Event()
        self.gate.set()
        self.url = ""

    @contextmanager
    def serving(self) -> Iterator[FakePhotoRoute]:
        route = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server calls it by this name
                sha = self.path.rsplit("/", 1)[-1]
                route.calls.append(sha)
                route.gate.wait(10)
                signed = self.headers.get("Authorization") == route.token
                data = route.served.get(sha) if signed else None
                self.send_response(200 if data else 404 if signed else 401)
                self.end_headers()
                if data:
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            self.gate.set()
            server.shutdown()
            server.server_close()
