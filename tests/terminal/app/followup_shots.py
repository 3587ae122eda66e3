"""Renders the kiosk's 回访 prompt offscreen to a PNG, as a resident's card tap brings it (run as a subprocess by
test_kiosk_followup.py: Kivy's window is one per process).
``python -m tests.terminal.app.followup_shots LANG DATA_DIR OUT.png``"""
from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from protocol import DownlinkMessage, FollowupPrompt, uuid7
from terminal.app.config import parse_config
from terminal.residents import resident_key

NOW = datetime.now(UTC)
CARD = "440402199001011234"
KEY = "shot-deployment-key-0001"


def main() -> None:
    language, data_dir, out = sys.argv[1:4]
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("kiosk", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "kiosk-shot-02", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir, "language": language,
            "grid": {"code": "440402004005002", "name": "福石社区第二网格"}, "deployment_key": KEY,
            "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    ctx = TerminalContext(parse_config(data), "kiosk")
    ctx.start(connect=False)
    prompt = FollowupPrompt(case_id=str(uuid7()), reference="FS-20261204-0042", resident_key=resident_key(CARD, KEY),
                            category="C0101", category_name="上水井盖", category_name_en="Water supply manhole cover",
                            title="上水井盖", closed_at=NOW - timedelta(hours=3), due_at=NOW + timedelta(hours=45))
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="followup",
                                                    body=prompt.model_dump(mode="json"), created_at=NOW))
    assert ctx.checkin.type_card(CARD) and ctx.followup.on_card(ctx.checkin.resident_key)
    ctx.followup.set_words("井盖还是松的" if language == "zh" else "")
    app = GridlineApp(ctx, start_screen="followup", screenshot=Path(out), run_for=1.2, connect=False)
    app.run()
    print(f"screenshot: {out}")


if __name__ == "__main__":
    main()
