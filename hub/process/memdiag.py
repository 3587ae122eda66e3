"""Opt-in memory diagnostics for a running hub (soak investigations); nothing happens unless asked.

    GRIDLINE_MEMDIAG=/path/mem.log gridline hub serve ...          # every 60 s (GRIDLINE_MEMDIAG_EVERY_S)
    GRIDLINE_MEMDIAG=/path/mem.log GRIDLINE_TRACEMALLOC=1 ...      # + tracemalloc's top growing sites

Each sample appends one block telling apart the three reasons RSS can grow:
- Python objects: gc-tracked object counts by type, growth since the first sample; with tracemalloc, the
  allocation sites whose live bytes grew most since the first sample (a leak shows as one site growing
  steadily; a cache warming shows as sites that stop growing);
- the allocators: glibc's ``mallinfo2`` (bytes in use vs. free inside malloc's heaps, mmapped bytes, the
  number of arenas) and ``sys.getallocatedblocks()`` (pymalloc, whose 1 MiB arenas come straight from mmap:
  the anonymous RSS outside glibc's heaps); RSS rising while "in use" and the block count stay flat is
  fragmentation or per-thread arenas, not a leak.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

TOP = 15


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        return libc
    except (OSError, AttributeError):  # not glibc, or glibc < 2.33
        return None


def rss_line() -> str:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    mb = {k: int(fields.get(k, "0 kB").split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
    return f"RSS {mb['VmRSS']:.1f} MB (anon {mb['RssAnon']:.1f}, file {mb['RssFile']:.1f})"


def arena_count(libc) -> int:
    """How many malloc arenas exist (main + per-thread ones), from ``malloc_info``'s XML."""
    libc.fopen.restype, libc.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes, libc.fclose.argtypes = [ctypes.c_int, ctypes.c_void_p], [ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
        stream = libc.fopen(tmp.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        return len(re.findall(rb"<heap nr=", Path(tmp.name).read_bytes()))


def malloc_line(libc) -> str:
    if libc is None:
        return "glibc malloc: n/a"
    m = libc.mallinfo2()
    mb = 1 / (1 << 20)
    return (f"glibc malloc: {arena_count(libc)} arenas, heaps {m.arena * mb:.1f} MB (in use {m.uordblks * mb:.1f}, "
            f"free {m.fordblks * mb:.1f}), mmapped {m.hblkhd * mb:.1f} MB in {m.hblks}")


class MemDiag:
    def __init__(self, path: Path, every_s: float, trace: bool):
        self.path, self.every_s, self.trace = path, every_s, trace
        self.libc = _libc()
        self._first_types: Counter | None = None
        self._first_snapshot: tracemalloc.Snapshot | None = None
        self._t0 = time.monotonic()

    def sample(self) -> str:
        types = Counter(type(o).__name__ for o in gc.get_objects())
        lines = [f"== {(time.monotonic() - self._t0) / 60:.1f} min: {rss_line()}, threads "
                 f"{threading.active_count()}, gc objects {sum(types.values())}, pymalloc blocks "
                 f"{sys.getallocatedblocks()}", malloc_line(self.libc)]
        if self._first_types is None:
            self._first_types = types
        grown = sorted(((n - self._first_types.get(t, 0), t, n) for t, n in types.items()), reverse=True)[:TOP]
        lines.append("gc types grown since first sample: " + ", ".join(f"{t} +{d} ({n})" for d, t, n in grown if d > 0))
        if self.trace:
            snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            traced, peak = tracemalloc.get_traced_memory()
            lines.append(f"tracemalloc: {traced / (1 << 20):.1f} MB traced (peak {peak / (1 << 20):.1f})")
            if self._first_snapshot is None:
                self._first_snapshot = snapshot
            for stat in snapshot.compare_to(self._first_snapshot, "lineno")[:TOP]:
                lines.append(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback}")
        return "\n".join(lines) + "\n"

    def _run(self) -> None:
        while True:
            text = self.sample()
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(text)
            time.sleep(self.every_s)


def start_from_env(environ=os.environ) -> MemDiag | None:
    """Start the sampling thread if GRIDLINE_MEMDIAG names a file; returns it (None when off)."""
    target = environ.get("GRIDLINE_MEMDIAG")
    if not target:
        return None
    trace = environ.get("GRIDLINE_TRACEMALLOC", "") not in ("", "0")
    if trace and not tracemalloc.is_tracing():
        tracemalloc.start(1)  # one frame per site: the cheapest setting that still names the line
    diag = MemDiag(Path(target), float(environ.get("GRIDLINE_MEMDIAG_EVERY_S", "60")), trace)
    threading.Thread(target=diag._run, name="hub-memdiag", daemon=True).start()
    return diag
