"""The hub's malloc arena cap (hub/process/malloc_tuning.py) and the opt-in memory diagnostics (hub/process/memdiag.py).
Each check runs in a fresh interpreter: the allocator is process-wide and the cap must precede any thread."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Eight threads that each allocate while the others do: without a cap glibc gives most of them an arena.
ARENAS_AFTER_THREADS = """
import threading, sys
from hub.process.malloc_tuning import limit_arenas
from hub.process.memdiag import _libc, arena_count
applied = limit_arenas()
barrier = threading.Barrier(8)
def churn():
    barrier.wait()
    for _ in range(200):
        blocks = [bytearray(512) for _ in range(200)]
threads = [threading.Thread(target=churn) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(applied, arena_count(_libc()))
"""


def _arenas(env: dict) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", ARENAS_AFTER_THREADS], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1])


def test_arena_cap_holds_under_many_threads_and_can_be_turned_off():
    applied, capped = _arenas({})
    assert applied == "2" and 1 <= capped <= 2
    applied, uncapped = _arenas({"GRIDLINE_MALLOC_ARENA_MAX": "0"})
    assert applied == "None" and uncapped > 2  # glibc's default: an arena for most contending threads
    assert _arenas({"MALLOC_ARENA_MAX": "1"}) == ("None", 1)  # the operator's own setting wins, untouched


def test_memdiag_is_off_by_default_and_samples_when_asked(tmp_path):
    from hub.process.memdiag import start_from_env

    assert start_from_env({}) is None
    target = tmp_path / "mem.log"
    script = ("import time, pathlib; from hub.process.memdiag import start_from_env; start_from_env()\n"
              f"log, end = pathlib.Path({str(target)!r}), time.time() + 30\n"
              "while time.time() < end and not log.exists(): time.sleep(0.01)\n"
              "junk = [[i] for i in range(50_000)]\n"
              "while time.time() < end and log.read_text().count('== ') < 3: time.sleep(0.05)")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60, env={
        "PATH": "/usr/bin:/bin", "GRIDLINE_MEMDIAG": str(target), "GRIDLINE_MEMDIAG_EVERY_S": "0.2",
        "GRIDLINE_TRACEMALLOC": "1"})
    samples = target.read_text().split("== ")[1:]
    assert len(samples) >= 2
    assert "RSS" in samples[-1] and "glibc malloc:" in samples[-1] and "gc types grown" in samples[-1]
    # the 50,000 lists made after the first sample show as growth, by type and by allocation site
    assert "list +5" in samples[-1]
    assert "tracemalloc:" in samples[-1] and "<string>:4" in samples[-1]  # the site: the script's line 4


# Leave ~88 MB of free chunks inside malloc's heap (every tenth 2 KB block kept), then see what RSS does.
AFTER_A_BACKLOG = """
import time
from hub.process.malloc_tuning import start_trimming
from hub.process.memdiag import rss_line
def anon_mb():
    return float(rss_line().split("anon ")[1].split(",")[0])
blocks = [bytes(2000) for _ in range(50_000)]
kept = blocks[::10]
del blocks
before = anon_mb()
period = start_trimming()
time.sleep(1.0)
print(period, round(before - anon_mb()))
"""


def _returned_mb(env: dict) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", AFTER_A_BACKLOG], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", **env}).stdout.split()
    return out[0], int(out[1])


def test_trimming_hands_free_heap_pages_back_and_can_be_turned_off():
    period, returned = _returned_mb({"GRIDLINE_MALLOC_TRIM_S": "0.1"})
    assert period == "0.1" and returned > 40  # ~88 MB of the freed 2 KB blocks sit in whole free pages
    period, returned = _returned_mb({"GRIDLINE_MALLOC_TRIM_S": "0"})
    assert period == "None" and returned < 5
