"""Renders the patrol tablet's checkpoint screen (a checkpoint scanned, one item failed and photographed) and the
hours screen offscreen to PNGs (run as a subprocess by test_tablet_checkpoints.py: Kivy's window is one per process).
``python -m tests.terminal.app.checkpoint_shots LANG DATA_DIR OUT.png SCREEN`` (SCREEN: checkpoint | hours)"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from protocol import (
    ChecklistItem,
    CheckpointInfo,
    CheckpointList,
    DownlinkMessage,
    HoursBalance,
    checkpoint_qr_text,
    uuid7,
)
from terminal.app.config import parse_config

NOW = datetime.now(UTC)
SPOT = (22.2715, 113.5315)
ITEMS = [ChecklistItem(code="fire_lane_clear", text="消防通道畅通", text_en="Fire lane clear", category="E0504"),
         ChecklistItem(code="no_ebike_charging", text="电动车不在楼道充电", text_en="No e-bike charging indoors",
                       category="E0505"),
         ChecklistItem(code="gas_safe", text="燃气无异味、管线完好", text_en="No gas smell, pipes intact",
                       category="E0403")]


def main() -> None:
    language, data_dir, out, screen = sys.argv[1:5]
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("tablet", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "tablet-shot-cp", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir,
            "language": language, "grid": {"code": "440402004005001", "name": "福石社区第一网格"},
            "position": {"kind": "fixed", "lat": SPOT[0], "lon": SPOT[1], "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    ctx = TerminalContext(parse_config(data), "tablet")
    ctx.start(connect=False)
    points = [CheckpointInfo(id="cp-gate", name="3栋东门", lat=SPOT[0], lon=SPOT[1] + 0.0001, radius_m=30,
                             checklist=ITEMS),
              CheckpointInfo(id="cp-lane", name="5栋消防通道", lat=SPOT[0] + 0.001, lon=SPOT[1], radius_m=30,
                             checklist=ITEMS),
              CheckpointInfo(id="cp-shed", name="电动车棚", lat=SPOT[0] + 0.003, lon=SPOT[1], radius_m=20,
                             checklist=ITEMS[1:])]
    for kind, body in (("checkpoints", CheckpointList(grid_code="440402004005001", checkpoints=points,
                                                      route=["cp-lane", "cp-gate", "cp-shed"])),
                       ("hours", HoursBalance(person_id="p-patrol-01", system_units=9, certified_units=4,
                                              redeemed_units=2, balance_units=11, as_of=NOW))):
        ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind=kind,
                                                        body=body.model_dump(mode="json"), created_at=NOW))
    ctx.patrol.start()
    flow = ctx.checkpoints
    assert flow.scan_text(checkpoint_qr_text("cp-lane"))
    for item in ITEMS:
        flow.answer(item.code, True)
    flow.finish()
    assert flow.scan_text(checkpoint_qr_text("cp-gate"))
    flow.answer("fire_lane_clear", True)
    flow.answer("no_ebike_charging", False)
    flow.photograph("no_ebike_charging")
    app = GridlineApp(ctx, start_screen=screen, screenshot=Path(out), run_for=1.2, connect=False)
    app.run()
    print(f"screenshot: {out}")


if __name__ == "__main__":
    main()
