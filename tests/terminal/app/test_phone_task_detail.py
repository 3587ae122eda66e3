"""The phone's task presenter beyond the actions: labelled thumbnails and the full photo on demand (against a real
local HTTP server), the map, distance and bearing in words, the navigation hand-off, the list's order, state
chips and badge, and being told (banner + tone + vibration, not for a thumbnail catching up)."""
from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest

from protocol import DownlinkMessage, TaskBody, uuid7
from terminal.app.alerts import RecordingSound, RecordingVibration, TaskAlerter, tone_path
from terminal.app.i18n import Translator
from terminal.app.navigation import Navigator, NoNavigator
from terminal.app.presenters.common import FlowRefused
from terminal.app.presenters.taskmap import bearing_deg, compass_point, geo_uri, how_far, map_view, scale_bar_m
from terminal.app.ui.sound import make_tone_wav
from terminal.enroll import DeviceCredentials
from terminal.photo_fetch import PhotoFetchError, TaskPhotoCache

from .conftest import GRID_BBOX, KIOSK_SPOT
from .photo_route import FakePhotoRoute
from .test_task_flow import deliver, task_message

FULL = b"\xff\xd8\xff" + bytes(range(256)) * 40
FULL_SHA = hashlib.sha256(FULL).hexdigest()
THUMB = b"\xff\xd8\xff\xe0thumb"


class Ticks:
    now = 0.0

    def __call__(self) -> float:
        return self.now


class OpensEverything(Navigator):
    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, uri: str) -> bool:
        self.opened.append(uri)
        return True


@pytest.fixture
def phone(make_context):
    sound, vibration, ticks = RecordingSound(), RecordingVibration(), Ticks()
    ctx = make_context("phone", device_id="phone-detail-01", alerter=TaskAlerter(sound, vibration),
                       navigator=NoNavigator(), monotonic=ticks)
    ctx.sound, ctx.vibration, ctx.ticks = sound, vibration, ticks
    return ctx


def body_with_photos(case_id: str, *, version: int = 1, thumbs: bool = True, why: str = "dispatch", **extra) -> dict:
    photos = [FULL_SHA, "b" * 64, "c" * 64]
    labelled = [{"sha256": FULL_SHA, "role": "report", **({"jpeg_b64": base64.b64encode(THUMB).decode()}
                                                           if thumbs else {})},
                {"sha256": "b" * 64, "role": "before"}, {"sha256": "c" * 64, "role": "after"}]
    base = task_message("phone-detail-01", case_id, version=version).body
    return TaskBody.model_validate({**base, "photos": photos, "thumbnails": labelled, "why": why, **extra}
                                   ).model_dump(mode="json")


def send(ctx, body: dict) -> None:
    deliver(ctx, DownlinkMessage(id=uuid7(), device_id=ctx.device.device_id, kind="task", body=body,
                                 created_at=ctx.clock()))


# --- being told -------------------------------------------------------------------------------------------------
def test_new_task_banner_tone_and_vibration_and_a_thumbnail_catching_up_is_quiet(phone):
    case_id = uuid7()
    send(phone, body_with_photos(case_id, thumbs=False))
    phone.tasks.refresh()
    assert phone.tasks.current_banner().text == "新任务：3号楼消防通道堵塞"
    assert (phone.sound.played, phone.vibration.vibrations) == (1, [0.6])
    send(phone, body_with_photos(case_id, thumbs=True, why="update"))  # the photo reached the hub
    phone.tasks.refresh()
    assert phone.sound.played == 1  # nothing new to the worker
    send(phone, body_with_photos(case_id, why="reminder"))  # 催办: same task, told again
    phone.tasks.refresh()
    assert phone.sound.played == 2
    send(phone, body_with_photos(case_id, version=2, why="level", level="red"))
    phone.tasks.refresh()
    assert phone.tasks.current_banner().text == "任务有更新：3号楼消防通道堵塞" and phone.sound.played == 3
    phone.ticks.now += 9  # the banner goes away on its own
    assert phone.tasks.current_banner() is None
    send(phone, body_with_photos(case_id, version=3, why="reassign", withdrawn=True, actions=[]))
    phone.tasks.refresh()
    assert phone.tasks.dismiss_banner() == case_id and phone.tasks.current_banner() is None
    assert phone.sound.played == 3  # a withdrawal shows, but does not ring


def test_failing_hardware_never_breaks_an_alert():
    class Broken(RecordingSound):
        def play(self) -> bool:
            raise RuntimeError("audio device gone")

    vibration = RecordingVibration()
    alerter = TaskAlerter(Broken(), vibration)
    alerter.alert("我的任务", "x")
    assert alerter.alerts == [("我的任务", "x")] and vibration.vibrations == [0.6]


def test_the_shipped_tone_is_the_generated_one():
    data = tone_path().read_bytes()
    assert data == make_tone_wav() and data.startswith(b"RIFF") and 10_000 < len(data) < 40_000


# --- the list ---------------------------------------------------------------------------------------------------
def test_list_sorted_by_urgency_then_deadline_with_chips_and_badge(phone, clock):
    did = phone.device.device_id
    made = {}
    for title, level, hours, state, actions in [("蓝近", "blue", 1, "dispatched", ["accept"]),
                                                ("红远", "red", 20, "accepted", ["arrive"]),
                                                ("红近", "red", 2, "dispatched", ["accept"]),
                                                ("黄无期限", "yellow", None, "arrived", ["resolve"]),
                                                ("已处置", "red", 1, "resolved", [])]:
        case_id = made[title] = uuid7()
        base = task_message(did, case_id, title=title, actions=actions,
                            deadline=clock() + timedelta(hours=hours) if hours else None).body
        send(phone, {**base, "level": level, "case_state": state})
    items = phone.tasks.refresh()
    assert [i.title for i in items] == ["红近", "红远", "黄无期限", "蓝近", "已处置"]
    assert [i.chip_text for i in items] == ["新任务", "已接单", "已到场", "新任务", "已处置"]
    assert phone.tasks.new_count() == 2
    phone.tasks.select(made["红近"])
    phone.tasks.accept()  # offline: the chip moves at once
    assert phone.tasks.items()[0].chip == "accepted" and phone.tasks.new_count() == 1
    phone.tr.set_language("en")
    assert [i.chip_text for i in phone.tasks.items()][:3] == ["Accepted", "Accepted", "On site"]


# --- photos -----------------------------------------------------------------------------------------------------
@pytest.fixture
def photo_hub():
    with FakePhotoRoute("phone-detail-01", "s3cret", {FULL_SHA: FULL, "b" * 64: b"not the photo"}).serving() as route:
        yield route


def test_thumbnails_are_labelled_and_a_tap_fetches_the_full_photo_once(phone, photo_hub, tmp_path):
    creds = DeviceCredentials("phone-detail-01", "phone-detail-01", "s3cret", "")
    phone.tasks.photo_cache = TaskPhotoCache(phone.config.data_dir, photo_hub.url, creds)
    case_id = uuid7()
    send(phone, body_with_photos(case_id))
    detail = phone.tasks.select(case_id)
    views = detail.thumbnails
    assert [(v.role, v.label) for v in views] == [("report", "上报照片"), ("before", "处置前"), ("after", "处置后")]
    assert views[0].thumbnail == THUMB and views[1].thumbnail is None
    assert [v.status for v in views] == ["点击看原图", "暂无缩略图", "暂无缩略图"]
    assert phone.tasks.fetch_photo(FULL_SHA).read_bytes() == FULL
    assert phone.tasks.detail().thumbnails[0].status == "原图已存本机"
    assert phone.tasks.open_photo(FULL_SHA) is not None and len(photo_hub.calls) == 1  # from the cache, no request
    assert phone.tasks.fetch_photo("b" * 64) is None  # bytes that do not hash to the photo are not kept
    assert phone.tasks.detail().thumbnails[1].status == "照片校验失败"
    assert phone.tasks.fetch_photo("c" * 64) is None
    assert phone.tasks.detail().thumbnails[2].status == "平台暂无此照片"
    wrong = TaskPhotoCache(tmp_path / "other", photo_hub.url, DeviceCredentials("phone-detail-01", "phone-detail-01",
                                                                             "wrong", ""))
    with pytest.raises(PhotoFetchError) as refused:
        wrong.fetch(FULL_SHA)
    assert refused.value.reason == "refused"
    # offline: no hub at all, the fetched photo still shows
    phone.tasks.photo_cache = TaskPhotoCache(phone.config.data_dir, "http://127.0.0.1:9", creds, timeout=2)
    assert phone.tasks.open_photo(FULL_SHA).read_bytes() == FULL
    assert phone.tasks.viewing_photo() == (phone.tasks.photo_cache.cached(FULL_SHA), "")
    with pytest.raises(PhotoFetchError) as offline:
        phone.tasks.photo_cache.fetch("d" * 64)
    assert offline.value.reason == "offline"


def test_a_tap_fetches_in_the_background_and_pokes_the_ui(phone, photo_hub):
    creds = DeviceCredentials("phone-detail-01", "phone-detail-01", "s3cret", "")
    phone.tasks.photo_cache = TaskPhotoCache(phone.config.data_dir, photo_hub.url, creds)
    case_id = uuid7()
    send(phone, body_with_photos(case_id))
    phone.tasks.select(case_id)
    poked = threading.Event()
    phone.tasks.on_change = poked.set
    assert phone.tasks.open_photo(FULL_SHA) is None
    assert phone.tasks.viewing_photo() in ((None, "原图下载中…"), (phone.tasks.photo_cache.cached(FULL_SHA), ""))
    assert poked.wait(10)
    path, text = phone.tasks.viewing_photo()
    assert path is not None and path.read_bytes() == FULL and text == ""


# --- where and how far ------------------------------------------------------------------------------------------
def test_bearing_and_words():
    assert compass_point(bearing_deg(22.27, 113.53, 22.28, 113.53)) == "n"
    assert compass_point(bearing_deg(22.27, 113.53, 22.28, 113.54)) == "ne"
    assert compass_point(bearing_deg(22.27, 113.53, 22.26, 113.52)) == "sw"
    zh, en = Translator("zh"), Translator("en")
    target = (22.2712, 113.5311, 6.0)
    own = (22.2704, 113.5302, 8.0)  # ~125 m south-west of it
    assert how_far(zh, own, target) == "约 130 米 · 东北"
    assert how_far(en, own, target) == "about 130 m · NE"
    assert how_far(zh, (22.2800, 113.5500, 5.0), target) == "约 2.2 公里 · 西南"
    assert how_far(zh, (22.27121, 113.53111, 5.0), target) == "就在附近"
    assert how_far(zh, None, target) == "本机暂无定位"
    assert geo_uri(22.2712, 113.5311) == "geo:22.271200,113.531100?q=22.271200,113.531100"


def test_map_frames_outline_pin_and_fix():
    view = map_view((22.2712, 113.5311, 6.0), (22.2704, 113.5302, 8.0), tuple(GRID_BBOX))
    assert len(view.outline) == 5 and view.outline[0] == view.outline[-1]
    assert view.me[0] < 0 and view.me[1] < 0  # the phone is south-west of the pin
    scale, px, py = view.fit(500, 220)
    for x, y in [*view.outline, view.me, (0.0, 0.0)]:
        assert 0 <= px + x * scale <= 500 and 0 <= py + y * scale <= 220
    assert scale_bar_m(scale, 500) in (50, 100, 200)
    alone = map_view((22.2712, 113.5311, 6.0), None, None)
    assert alone.outline == [] and alone.me is None and alone.fit(500, 220)[0] > 0


def test_detail_has_map_distance_and_navigation(phone):
    case_id = uuid7()
    send(phone, body_with_photos(case_id))
    detail = phone.tasks.select(case_id)
    # the phone's fixed position (the conftest's kiosk spot) is ~50 m north-east of the task's place
    assert KIOSK_SPOT == (22.2715, 113.5315)
    assert detail.how_far == "约 50 米 · 西南"
    assert detail.map is not None and len(detail.map.outline) == 5  # the task is in this phone's grid
    assert phone.tasks.navigate() == "本机无导航应用，请手动输入坐标：22.271200, 113.531100"
    assert phone.tasks.navigator.asked == [detail.nav_uri]
    phone.tasks.navigator = OpensEverything()
    assert phone.tasks.navigate().startswith("已打开导航") and phone.tasks.navigator.opened == [detail.nav_uri]
    other = uuid7()
    send(phone, {**body_with_photos(other), "grid_code": "440402004005002"})
    assert phone.tasks.select(other).map.outline == []  # another grid: no outline this phone knows
    send(phone, {**body_with_photos(uuid7()), "position": None})
    no_place = phone.tasks.items()
    phone.tasks.select([i for i in no_place if i.case_id not in (case_id, other)][0].case_id)
    with pytest.raises(FlowRefused):
        phone.tasks.navigate()


def test_the_verifier_verifies_with_position(phone):
    case_id = uuid7()
    send(phone, {**body_with_photos(case_id), "role": "verifier", "case_state": "resolved", "actions": ["verify"]})
    assert phone.tasks.refresh()[0].chip == "new"  # resolved work waiting for this verifier
    phone.tasks.select(case_id)
    record = phone.tasks.verify("现场已清理干净")
    assert record.action.value == "verify" and record.note == "现场已清理干净"
    assert (record.position.lat, record.position.lon) == KIOSK_SPOT
    assert phone.tasks.message == "已核查" and phone.tasks.items()[0].actions == []
