"""Renders the kiosk's 议事 screen offscreen to a PNG: a topic with its background, two approved comments and its
vote buttons, a resident's card tapped (run as a subprocess by test_kiosk_deliberation.py: one Kivy window per
process). ``python -m tests.terminal.app.deliberation_shots LANG DATA_DIR OUT.png [image|placeholder]``: with
``image`` the topic has three images, the first fetched earlier (in the kiosk's photo cache: it shows offline);
with ``placeholder`` its image was never fetched and there is no hub (图片暂不可用)."""
from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2

from protocol import DeliberationTopic, DownlinkMessage, PublicComment, VoteOption, VoteSpec, uuid7
from terminal.app.config import parse_config

NOW = datetime.now(UTC)
CARD = "440402199001011234"
KEY = "shot-deployment-key-0001"


def topic_image() -> bytes:
    """A street photo as the control room would attach it (the synthetic camera's scene), JPEG."""
    from terminal.camera.providers import SyntheticCameraProvider

    with SyntheticCameraProvider(seed=11) as camera:
        ok, jpeg = cv2.imencode(".jpg", camera.read_frame(), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return jpeg.tobytes()


def topic_message(device_id: str, images: list[str] | None = None) -> DownlinkMessage:
    vote = VoteSpec(options=[VoteOption(key="agree", label="同意", label_en="For"),
                             VoteOption(key="disagree", label="不同意", label_en="Against"),
                             VoteOption(key="abstain", label="弃权", label_en="Abstain")],
                    closes_at=NOW + timedelta(days=10))
    topic = DeliberationTopic(
        topic_id=str(uuid7()), version=2, title="文明养犬公约（草案）",
        background="近期小区犬只扰民、随地便溺问题较多。社区拟订立《文明养犬公约》：出门拴绳、及时清理粪便、"
                   "大型犬不进电梯高峰时段。请居民提出意见，并于截止前投票。",
        comments_until=NOW + timedelta(days=10), vote=vote, published_at=NOW, images=images or [],
        comments=[PublicComment(id=str(uuid7()), text=text, made_at=NOW - timedelta(hours=h))
                  for text, h in (("建议在东门设置犬只便袋箱。", 5), ("夜间十点后遛狗请避开儿童游乐区。", 2))])
    return DownlinkMessage(id=str(uuid7()), device_id=device_id, kind="deliberation_topic",
                           body=topic.model_dump(mode="json"), created_at=NOW)


def main() -> None:
    language, data_dir, out = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    from terminal.app.ui.boot import prepare_kivy, register_cjk_font

    prepare_kivy("kiosk", offscreen=True)
    register_cjk_font()
    from terminal.app.context import TerminalContext
    from terminal.app.ui.app import GridlineApp

    data = {"device_id": "kiosk-shot-03", "broker": "mqtt://127.0.0.1:1", "data_dir": data_dir, "language": language,
            "grid": {"code": "440402004005003", "name": "福石社区第三网格"}, "deployment_key": KEY,
            "position": {"kind": "fixed", "lat": 22.2715, "lon": 113.5315, "accuracy_m": 5.0},
            "camera": {"kind": "synthetic"}}
    ctx = TerminalContext(parse_config(data), "kiosk")
    ctx.start(connect=False)
    assert ctx.deliberation is not None
    images: list[str] = []
    if mode in ("image", "placeholder"):
        photo = topic_image() if mode == "image" else b"never fetched"
        images = [hashlib.sha256(photo).hexdigest()] + [hashlib.sha256(bytes([n])).hexdigest() for n in (1, 2)]
        if mode == "image":  # fetched while the hub was reachable: in the kiosk's photo cache
            path = ctx.deliberation.photo_cache.path(images[0])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(photo)
    ctx.device.store.store_downlink(topic_message(ctx.device.device_id, images))
    assert ctx.deliberation.use_card(CARD)
    app = GridlineApp(ctx, start_screen="deliberation", screenshot=Path(out), run_for=1.2, connect=False)
    app.run()
    print(f"screenshot: {out}")

if __name__ == "__main__":
    main()
