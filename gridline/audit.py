"""Count what devices created against what the hub stored: the no-loss check the demo and tests print.

lost       = records created on a device that the hub does not hold (after the devices drained)
duplicates = extra copies at the hub of one device record (same device and sequence number)

And the notices each kiosk can show (:func:`kiosk_notices`), by the kiosk's own reading of its inbox - not the
hub's word that the message was delivered: a notice a kiosk stored but cannot decode is not shown.

And how far the cases got round the closed loop (:func:`case_loop`), from the hub's cases and their trail:
``loop: reported=R filed=F dispatched=D resolved=S verified=V closed=C overdue=O`` (definitions in
:func:`hub.cases.kpi_repo.loop_figures`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hub.cases.kpi_repo import loop_figures
from hub.store import HubStore
from terminal.store import TerminalStore, read_ledger
from terminal.tasks import displayed_notices


@dataclass
class AuditTotals:
    created: int = 0
    stored: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicates: int = 0
    acked_but_missing: int = 0
    thinned: int = 0
    per_device: dict[str, dict[str, int]] = field(default_factory=dict)

    def line(self, prefix: str = "demo") -> str:
        return (f"{prefix}: created={self.created} stored={self.stored} acknowledged={self.acknowledged} "
                f"lost={self.lost} duplicates={self.duplicates}")


def audit(device_dirs: dict[str, Path], store: HubStore) -> AuditTotals:
    """``device_dirs`` maps device id to its data dir (the one holding ``terminal.db``)."""
    totals = AuditTotals()
    for device_id, data_dir in sorted(device_dirs.items()):
        ledger = read_ledger(Path(data_dir) / "terminal.db")  # seq -> outbox state
        hub_seqs = Counter(store.stored_seqs(device_id))
        created = {seq for seq, state in ledger.items() if state != "thinned"}
        acked = {seq for seq, state in ledger.items() if state == "acked"}
        row = {
            "created": len(created),
            "stored": sum(1 for seq in created if hub_seqs[seq] >= 1),
            "acknowledged": len(acked),
            "lost": sum(1 for seq in created if hub_seqs[seq] == 0),
            "duplicates": sum(n - 1 for n in hub_seqs.values() if n > 1),
            "acked_but_missing": sum(1 for seq in acked if hub_seqs[seq] == 0),
            "thinned": len(ledger) - len(created),
        }
        totals.per_device[device_id] = row
        for key, value in row.items():
            setattr(totals, key, getattr(totals, key) + value)
    return totals


@dataclass
class NoticeTotals:
    readable: int = 0  # of the notices asked about, shown by the kiosk they were sent to (one count per kiosk)
    unreadable: int = 0  # stored in a kiosk's inbox but not shown (a body it cannot decode, another grid's)
    per_kiosk: dict[str, int] = field(default_factory=dict)


def kiosk_notices(kiosks: dict[str, tuple[Path, str]], message_ids: set[str]) -> NoticeTotals:
    """``kiosks`` maps device id to (its data dir, its grid code). Opens each kiosk's own store after its terminal
    stopped and counts which of ``message_ids`` its notices screen shows (:func:`terminal.tasks.displayed_notices`,
    the presenter's own reading)."""
    totals = NoticeTotals()
    for device_id, (data_dir, grid_code) in sorted(kiosks.items()):
        path = Path(data_dir) / "terminal.db"
        if not path.exists():
            totals.per_kiosk[device_id] = 0
            continue
        store = TerminalStore(path, device_id)
        try:
            stored = {e.id for e in store.inbox() if e.kind == "notice"} & message_ids
            shown = {message_id for message_id, _ in displayed_notices(store, grid_code)} & message_ids
        finally:
            store.close()
        totals.per_kiosk[device_id] = len(shown)
        totals.readable += len(shown)
        totals.unreadable += len(stored - shown)
    return totals


@dataclass(frozen=True)
class LoopTotals:
    """Cases opened since the start, and how many of them reached each step (each case once per step)."""

    reported: int = 0  # cases opened
    filed: int = 0  # ... with an applied 立案 (file)
    dispatched: int = 0  # ... 派遣 (dispatch)
    resolved: int = 0  # ... 处置反馈 (resolve, or the system's auto_resolve)
    verified: int = 0  # ... 核查 (verify)
    closed: int = 0  # ... 结案 (close)
    overdue: int = 0  # ... open now past their deadline

    def line(self) -> str:
        return (f"loop: reported={self.reported} filed={self.filed} dispatched={self.dispatched} "
                f"resolved={self.resolved} verified={self.verified} closed={self.closed} overdue={self.overdue}")


def case_loop(store: HubStore, since: datetime, now: datetime | None = None) -> LoopTotals:
    """The loop of the cases opened at or after ``since`` (hub time), overdue as of ``now`` (default: the hub's
    clock)."""
    with store.read() as conn:
        return LoopTotals(**loop_figures(conn, since=since, now=now or store.clock()))
