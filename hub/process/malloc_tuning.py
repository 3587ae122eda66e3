"""glibc malloc settings for the long-running hub process (``gridline hub serve``); see docs/scaling.md, "Soak".

Why: at district load the hub's live memory is flat (hub/process/memdiag.py: gc object counts, pymalloc blocks and
malloc's bytes in use return to the same level after every backlog), yet its RSS rose in steps and never came
down. Each step was a backlog (a stall of the database or the machine, a hub restart, a link coming back: a few
thousand queued uplinks, receipts and batches alive at once); when it drained the memory went back to malloc as
free chunks inside its heaps, which glibc keeps. Two settings:

- at most ``GRIDLINE_MALLOC_ARENA_MAX`` (2) arenas instead of 8 per core: each thread that mallocs (paho's
  network thread, the writer, the jobs, the API's worker threads) otherwise gets an arena of its own that keeps
  its own high-water mark. The hub's threads wait on the database and the network, not on malloc, so the lock
  contention the extra arenas avoid does not show. ``MALLOC_ARENA_MAX`` in the environment wins (glibc reads it
  itself); 0 leaves glibc's default.
- every ``GRIDLINE_MALLOC_TRIM_S`` (60) seconds ``malloc_trim(0)`` hands free pages inside the heaps back to
  the kernel, so RSS follows the live memory down after a backlog. It takes milliseconds, without the GIL;
  0 turns it off.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time

M_ARENA_MAX = -8  # from glibc's malloc.h
DEFAULT_ARENA_MAX = 2
DEFAULT_TRIM_S = 60.0


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - AttributeError: not glibc (musl, macOS): nothing to tune
        return libc
    except (OSError, AttributeError):
        return None


def limit_arenas(environ=os.environ) -> int | None:
    """Cap malloc arenas before the hub starts its threads; returns the cap applied (None: left alone)."""
    if "MALLOC_ARENA_MAX" in environ:
        return None
    cap = int(environ.get("GRIDLINE_MALLOC_ARENA_MAX", DEFAULT_ARENA_MAX))
    libc = _glibc()
    if cap <= 0 or libc is None or libc.mallopt(M_ARENA_MAX, cap) != 1:
        return None
    return cap


def start_trimming(environ=os.environ) -> float | None:
    """Start the daemon thread that returns malloc's free pages every so often; returns its period (None: off)."""
    every_s = float(environ.get("GRIDLINE_MALLOC_TRIM_S", DEFAULT_TRIM_S))
    libc = _glibc()
    if every_s <= 0 or libc is None:
        return None

    def trim() -> None:
        while True:
            time.sleep(every_s)
            libc.malloc_trim(0)

    threading.Thread(target=trim, name="hub-malloc-trim", daemon=True).start()
    return every_s
