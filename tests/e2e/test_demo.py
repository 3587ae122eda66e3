"""`gridline demo --for N` on the embedded defaults: a whole community runs, drains and audits clean."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from hub.embedded_broker import ManagedBroker

LAST_LINE = re.compile(r"demo: created=(\d+) stored=(\d+) acknowledged=(\d+) lost=(\d+) duplicates=(\d+)")


def run_demo(tmp_path, *extra: str) -> tuple[str, list[int]]:
    proc = subprocess.run([sys.executable, "-m", "gridline", "demo", "--for", "6", "--rate", "2",
                           "--data-dir", str(tmp_path / "demo"), "--http", "127.0.0.1:0", *extra],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr[-3000:]
    last = out.strip().splitlines()[-1]
    m = LAST_LINE.fullmatch(last)
    assert m, last
    return out, [int(x) for x in m.groups()]


def check(out: str, counts: list[int]) -> None:
    created, stored, acked, lost, dups = counts
    assert created > 20 and created == stored == acked and lost == 0 and dups == 0, counts
    assert "downlink notices confirmed by devices: 15/15" in out, out
    assert "dead letters at hub: 0" in out
    reports = int(re.search(r"^  report +(\d+) /", out, flags=re.M)[1])
    opened = int(re.search(r"cases opened at the hub .*: (\d+)$", out, flags=re.M)[1])
    assert (opened >= 1) == (reports >= 1) and opened <= reports, out


def test_demo_on_the_embedded_default_broker(tmp_path):
    check(*run_demo(tmp_path))


@pytest.mark.skipif(os.environ.get("GRIDLINE_TEST_BROKER") != "embedded", reason="covered once, in the embedded run")
def test_demo_on_iotcore_when_mosquitto_is_absent(tmp_path):
    with ManagedBroker(tmp_path / "iot", engine="iotcore") as broker:
        check(*run_demo(tmp_path, "--broker", broker.url))
