"""``gridline --log-format json``: a real hub process writes one JSON object per line; the access line of a request
carries the request id the response echoes (a proxy's sane X-Request-ID kept, a forged one replaced), and every line
names the worker. Device ids travel as a field, not only inside the message text. The same process shows that
``hub serve`` freezes its start-up heap before it serves (hub/process/gc_tuning.py)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import urllib.request

from gridline.logs import JsonFormatter
from tests.isolation import free_port


def get(url: str, request_id: str) -> str:
    request = urllib.request.Request(url, headers={"X-Request-ID": request_id})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["X-Request-ID"]


def test_a_hub_logs_json_with_request_and_worker_ids(tmp_path, own_broker):
    port = free_port()
    hub = subprocess.Popen([sys.executable, "-m", "gridline", "--log-level", "INFO", "--log-format", "json", "hub",
                            "serve", "--broker", own_broker.url, "--http", f"127.0.0.1:{port}", "--data-dir",
                            str(tmp_path / "hub"), "--client-id", "json-log-hub"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                kept = get(f"http://127.0.0.1:{port}/api/health", "proxy-id-0001")
                break
            except OSError:
                assert hub.poll() is None
                time.sleep(0.1)
        replaced = get(f"http://127.0.0.1:{port}/api/health", "forged id; level=ERROR")
    finally:
        hub.terminate()
        _, err = hub.communicate(timeout=30)
    assert kept == "proxy-id-0001" and len(replaced) == 32 and " " not in replaced
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [line["request_id"] for line in access[-2:]] == ["proxy-id-0001", replaced]
    assert {line.get("worker") for line in lines} == {"json-log-hub"}
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    # `hub serve` froze its start-up heap once, before serving (hub/process/gc_tuning.py)
    frozen = [i for i, line in enumerate(lines) if line["logger"] == "hub.process.gc_tuning"]
    assert len(frozen) == 1 and frozen[0] < lines.index(access[0])
    assert int(lines[frozen[0]]["message"].split()[2]) > 10_000


def test_a_device_id_is_a_field():
    record = logging.LogRecord("hub.devices.flags", logging.WARNING, __file__, 1, "device %s flagged: %s",
                               ("kiosk-7", "spoofed_sender"), None)
    record.device_id = "kiosk-7"
    line = json.loads(JsonFormatter().format(record))
    assert line["device_id"] == "kiosk-7" and line["message"] == "device kiosk-7 flagged: spoofed_sender"
