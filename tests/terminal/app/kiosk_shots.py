"""Renders one kiosk screen in a given state, offscreen, to a PNG (run as a subprocess by test_kiosk_screens.py:
Kivy's window is one per process). ``python -m tests.terminal.app.kiosk_shots SCREEN LANG DATA_DIR OUT.png``"""
from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2

from protocol import DownlinkMessage, LookupAnswer, LookupCase, NoticeBody, uuid7
from terminal.app.config import parse_config
from terminal.photos import synthetic_photo

GRID_BBOX = [113.5300, 22.2700, 113.5330, 22.2730]
NOW = datetime.now(UTC)


def deliver(ctx, kind: str, body: dict) -> None:
    ctx.device.store.store_downlink(DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind=kind, body=body,
                                                    created_at=NOW))


def answer(ctx, request, cases: list[LookupCase]) -> None:
    deliver(ctx, "lookup", LookupAnswer(request_id=request.id, query=request.query, status="found", cases=cases,
                                        answered_at=NOW).model_dump(mode="json"))


def thumb() -> str:
    image = cv2.imdecode(__import__("numpy").frombuffer(synthetic_photo(9, 960, 720), "uint8"), cv2.IMREAD_COLOR)
    small = cv2.resize(image, (240, 180), interpolation=cv2.INTER_AREA)
    return base64.b64encode(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 60])[1].tobytes()).decode()


def seed(ctx, screen: str) -> str:
    """Put the kiosk in the state the screenshot shows; returns the screen to start on."""
    if screen in ("home", "notices"):
        for days, title, text in [(4, "停水通知", "3月5日 9:00-17:00 福石路片区管网维修停水，请提前储水。"),
                                  (2, "周六社区义诊", "本周六上午 9:00 在党群服务中心，请携带医保卡。"),
                                  (0, "防火安全提醒", "楼道内请勿堆放杂物，电动车请勿入户充电。")]:
            deliver(ctx, "notice", NoticeBody(title=title, text=text,
                                              published_at=NOW - timedelta(days=days)).model_dump(mode="json"))
        if screen == "notices":
            first = ctx.notices.items()[-1]
            ctx.notices.open(first.message_id)
    if screen in ("report", "keyboard"):
        assert ctx.report.capture()
        ctx.report.choose_category("C0101")
        ctx.report.add_phrase(ctx.tr.t("phrase.manhole"))
        ctx.report.pick_on_map(1, 2)
        return "report"
    if screen == "report_done":
        assert ctx.report.capture()
        ctx.report.choose_category("C0101")
        chosen = ctx.report.category
        ctx.receipt.show(ctx.report.submit(), chosen)
        if "pending" not in sys.argv:
            ctx.receipt.poll()
            request = ctx.receipt._asks[-1]
            answer(ctx, request, [LookupCase(reference="FS-20261204-0042", receipt_code=request.query,
                                             state="reported", category="C0101", reported_at=NOW)])
            ctx.receipt.poll()
    if screen == "lookup":
        request = ctx.lookup.ask("FS-20261204-0042")
        answer(ctx, request, [LookupCase(reference="FS-20261204-0042", receipt_code="ca046d", state="resolved",
                                         category="C0101", category_name="上水井盖",
                                         category_name_en="Water supply manhole cover",
                                         reported_at=NOW - timedelta(hours=5), deadline=NOW + timedelta(hours=19),
                                         public_note="井盖已更换，请放心通行", result_thumbnail=thumb())])
    if screen == "checkin":
        for key in "4404021980":
            ctx.checkin.press_card_key(key)
    return screen


def main() -> None:
    screen, language, data_dir, out = sys.argv[1:5]
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("kiosk", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "kiosk-shot-01", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir, "language": language,
            "grid": {"code": "440402004005001", "name": "福石社区第一网格", "bbox": GRID_BBOX},
            "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    if "nokey" not in sys.argv:
        data["deployment_key"] = "shot-deployment-key-0001"
    ctx = TerminalContext(parse_config(data), "kiosk")
    ctx.start(connect=False)
    start = seed(ctx, screen)
    app = GridlineApp(ctx, start_screen=start, screenshot=Path(out), run_for=1.2, connect=False)
    if screen == "keyboard":
        from kivy.clock import Clock

        Clock.schedule_once(lambda dt: app.screen("report").open_keyboard(), 0.6)
    app.run()
    print(f"screenshot: {out}")


if __name__ == "__main__":
    main()
