"""Renders the helper's watch list (phone) offscreen to a PNG: three residents, one reported safe, one reported
wrong, one still to check with two signs chosen (run as a subprocess by test_phone_watch.py: Kivy's window is one
per process). ``python -m tests.terminal.app.watch_shots LANG DATA_DIR OUT.png``"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from protocol import DownlinkMessage, WatchItem, WatchList, uuid7
from terminal.app.config import parse_config

NOW = datetime.now(UTC)
SH = ZoneInfo("Asia/Shanghai")
RESIDENTS = [("a" * 64, "3栋2单元 独居老人A"), ("b" * 64, "6栋1单元 独居老人B"), ("c" * 64, "9栋3单元 独居老人C")]


def main() -> None:
    language, data_dir, out = sys.argv[1:4]
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("phone", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "phone-shot-watch", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir,
            "language": language, "grid": {"code": "440402004005001", "name": "福石社区第一网格"},
            "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    ctx = TerminalContext(parse_config(data), "phone")
    ctx.start(connect=False)
    body = WatchList(day=NOW.astimezone(SH).date(), items=[
        WatchItem(enrolment_id=f"e-{i}", resident_key=key, label=label, grid_code="440402004005001",
                  window_start="07:00", deadline="21:00") for i, (key, label) in enumerate(RESIDENTS)])
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="watchlist",
                                                    body=body.model_dump(mode="json"), created_at=NOW))
    flow = ctx.watch
    flow.toggle_sign(RESIDENTS[0][0], "curtains")
    flow.observe(RESIDENTS[0][0], "safe")
    flow.toggle_sign(RESIDENTS[1][0], "lights")
    flow.observe(RESIDENTS[1][0], "abnormal")
    flow.toggle_sign(RESIDENTS[2][0], "curtains")
    flow.toggle_sign(RESIDENTS[2][0], "water")
    app = GridlineApp(ctx, start_screen="watch", screenshot=Path(out), run_for=1.2, connect=False)
    app.run()
    print(f"screenshot: {out}")


if __name__ == "__main__":
    main()
