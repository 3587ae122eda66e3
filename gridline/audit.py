"""Count what devices created against what the hub stored: the no-loss check the demo and tests print.

lost       = records created on a device that the hub does not hold (after the devices drained)
duplicates = extra copies at the hub of one device record (same device and sequence number)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hub.store import HubStore
from terminal.store import read_ledger


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
