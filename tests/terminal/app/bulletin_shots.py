"""Seeds a kiosk with notices of 居务公开 (``bulletin``: pinned, several categories, one with an image, one
withdrawn, one expired) beside an old ``notice``, and renders the notices screen offscreen to a PNG.
``python -m tests.terminal.app.bulletin_shots LANG DATA_DIR OUT.png`` (a subprocess: one Kivy window per process)."""
from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from hub.notices.images import fit_image
from protocol import BulletinBody, DownlinkMessage, NoticeBody, uuid7
from terminal.app.config import parse_config

NOW = datetime.now(UTC)
TARGET = "440402004005"


def table_jpeg() -> dict[str, str]:
    """A finance table as a scanned page looks (white, ruled, figures)."""
    page = np.full((420, 640, 3), 250, np.uint8)
    for row in range(7):
        y = 40 + row * 52
        cv2.line(page, (30, y), (610, y), (60, 60, 60), 2)
        cv2.putText(page, f"{2026 - row}  income {12.6 - row:.1f}  spent {9.8 - row / 2:.1f}", (44, y + 34),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2)
    return fit_image(cv2.imencode(".png", page)[1].tobytes())  # as the hub re-encodes an upload


def bulletin(ctx, title: str, text: str, category: str, *, hours: float, pinned: bool = False, version: int = 1,
             withdrawn: bool = False, expires: float | None = None, images: list | None = None,
             notice_id: str | None = None) -> str:
    body = BulletinBody(notice_id=notice_id or uuid7(), version=version, withdrawn=withdrawn, category=category,
                        title=title, text=text, pinned=pinned, target_code=TARGET,
                        published_at=NOW - timedelta(hours=hours),
                        expires_at=NOW + timedelta(hours=expires) if expires is not None else None,
                        images=images or [])
    message = DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="bulletin",
                              body=body.model_dump(mode="json"), created_at=NOW)
    ctx.device.store.store_downlink(message)
    return message.id


def seed(ctx) -> str:
    """The notices the screenshot shows; returns the message id opened in the detail pane."""
    finance = bulletin(ctx, "2026年第三季度社区财务收支公示",
                       "本季度收入 12.6 万元，支出 9.8 万元，明细见附表。如有疑问请到社区居委会咨询。",
                       "finance", hours=30, pinned=True, images=[table_jpeg()])
    bulletin(ctx, "53项公共服务事项清单", "社保、医保、民政、计生、残联等 53 项服务可在党群服务中心一站办理。",
             "services", hours=50)
    bulletin(ctx, "居住证办理流程", "1. 携带身份证、租房合同；2. 到社区警务室登记；3. 十个工作日后领取。",
             "procedures", hours=8)
    bulletin(ctx, "议题公示：加装电梯意见征集", "福石路 12 号楼加装电梯方案已公示，请业主于本月底前反馈意见。",
             "topics", hours=3)
    bulletin(ctx, "居委会换届选举结果公告", "第十二届居民委员会成员名单如下……", "affairs", hours=1)
    gone = uuid7()
    bulletin(ctx, "已撤回的通知", "不应显示", "general", hours=2, notice_id=gone)
    bulletin(ctx, "已撤回的通知", "", "general", hours=2, notice_id=gone, withdrawn=True)
    bulletin(ctx, "已过期的停电通知", "不应显示", "general", hours=48, expires=-1)
    ctx.device.store.store_downlink(DownlinkMessage(
        id=uuid7(), device_id=ctx.device.device_id, kind="notice", created_at=NOW,
        body=NoticeBody(title="停水通知", text="3月5日福石路片区管网维修停水，请提前储水。",
                        published_at=NOW - timedelta(hours=20)).model_dump(mode="json")))
    return finance


def main() -> None:
    language, data_dir, out = sys.argv[1:4]
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("kiosk", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "kiosk-shot-01", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir, "language": language,
            "deployment_key": "shot-deployment-key-0001",
            "grid": {"code": "440402004005001", "name": "福石社区第一网格"},
            "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    ctx = TerminalContext(parse_config(data), "kiosk")
    ctx.start(connect=False)
    ctx.notices.open(seed(ctx))
    app = GridlineApp(ctx, start_screen="notices", screenshot=Path(out), run_for=1.2, connect=False)
    app.run()
    print(f"screenshot: {out}")


if __name__ == "__main__":
    main()
