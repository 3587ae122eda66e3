"""A 议事 topic's images at the kiosk: fetched from the hub's device photo route with the kiosk's own credentials on a
worker thread (the UI is poked when it is done, never blocked), checked against the sha256, kept in the data dir
so an offline kiosk still shows them; the first one shows with the count, or a placeholder while it loads or when it
cannot be had (zh and en); a failed image is tried again after a while, not on every tick; the topic's arrival
fetches it before anyone opens the screen. The screen renders the image (zh, en) and the placeholder."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from datetime import timedelta

import cv2
import numpy as np
import pytest

from protocol import DeliberationTopic, DownlinkMessage, uuid7
from terminal.enroll import DeviceCredentials
from terminal.photo_fetch import TaskPhotoCache

from .photo_route import FakePhotoRoute
from .test_kiosk_screens import ARTIFACTS, REPO, kivy_env

KIOSK = "kiosk-test-01"
CREDS = DeviceCredentials(KIOSK, KIOSK, "s3cret", "")
IMAGE = cv2.imencode(".jpg", np.full((60, 80, 3), (40, 120, 200), np.uint8))[1].tobytes()
IMAGE_SHA = hashlib.sha256(IMAGE).hexdigest()
OTHER_SHA = hashlib.sha256(b"second image").hexdigest()


@pytest.fixture
def topic_hub():
    with FakePhotoRoute(KIOSK, "s3cret", {IMAGE_SHA: IMAGE}).serving() as route:
        yield route


def topic_message(ctx, images: list[str], *, state: str = "open", version: int = 1) -> DownlinkMessage:
    now = ctx.clock()
    body = DeliberationTopic(topic_id="01a20297-4dc0-7000-8000-0000000000e1", version=version, state=state,
                             title="加装电梯方案", background="请看效果图", images=images,
                             comments_until=now + timedelta(days=5), published_at=now)
    return DownlinkMessage(id=uuid7(int(now.timestamp() * 1000)), device_id=ctx.device.device_id,
                           kind="deliberation_topic", body=body.model_dump(mode="json"), created_at=now)


def show(ctx, images: list[str], **kw):
    message = topic_message(ctx, images, **kw)
    ctx.device.store.store_downlink(message)
    ctx.clock.advance(1)
    flow = ctx.deliberation
    flow.open(message.body["topic_id"])
    return flow, message


def test_no_hub_reads_unavailable_and_the_count_in_both_languages(make_context):
    ctx = make_context()
    flow, _ = show(ctx, [IMAGE_SHA, OTHER_SHA])
    view = flow.view()
    assert (view.images_line, view.image, view.image_text) == ("2 张图片", None, "图片暂不可用")
    ctx.tr.set_language("en")
    view = flow.view()
    assert (view.images_line, view.image, view.image_text) == ("2 image(s)", None, "Image not available yet")
    flow, _ = show(ctx, [], version=2)  # the images taken off the topic: no box, no count
    view = flow.view()
    assert (view.images_line, view.image, view.image_text) == ("", None, "")


def test_the_image_is_fetched_in_the_background_and_stays_for_offline(make_context, topic_hub):
    ctx = make_context()
    flow, _ = show(ctx, [IMAGE_SHA, OTHER_SHA])
    flow.photo_cache = TaskPhotoCache(ctx.config.data_dir, topic_hub.url, CREDS)
    poked = threading.Event()
    flow.on_change = poked.set
    topic_hub.gate.clear()  # a slow hub: the view answers at once, with the placeholder
    view = flow.view()
    assert (view.image, view.image_text) == (None, "图片加载中")
    assert flow.view().image_text == "图片加载中" and not poked.is_set()  # one fetch at a time, the UI never waits
    topic_hub.gate.set()
    assert poked.wait(10)
    view = flow.view()
    assert view.image is not None and view.image_text == ""
    assert hashlib.sha256(view.image.read_bytes()).hexdigest() == IMAGE_SHA
    assert topic_hub.calls == [IMAGE_SHA]  # only the first image, once
    # the hub gone: what was fetched still shows
    flow.photo_cache = TaskPhotoCache(ctx.config.data_dir, "http://127.0.0.1:9", CREDS, timeout=2)
    assert flow.view().image.read_bytes() == IMAGE


def test_a_failed_image_is_tried_again_after_a_while(make_context, topic_hub):
    ctx = make_context()
    flow, _ = show(ctx, [OTHER_SHA])
    flow.photo_cache = TaskPhotoCache(ctx.config.data_dir, topic_hub.url, CREDS)
    clock = [100.0]
    flow.images.monotonic = lambda: clock[0]
    assert flow.images.fetch(OTHER_SHA) is None  # the hub does not have it (yet): 404
    assert flow.view().image_text == "图片暂不可用"
    assert not flow.poll() and topic_hub.calls == [OTHER_SHA]  # the tick does not hammer the hub
    data = b"second image"
    topic_hub.served[OTHER_SHA] = data
    clock[0] += flow.images.retry_s + 1
    poked = threading.Event()
    flow.on_change = poked.set
    flow.poll()  # due again: fetched in the background, the screen refreshed when it is here
    assert poked.wait(10)
    assert flow.view().image.read_bytes() == data and topic_hub.calls == [OTHER_SHA, OTHER_SHA]
    # bytes that do not hash to the image are never kept
    bad_sha = hashlib.sha256(b"the real one").hexdigest()
    topic_hub.served[bad_sha] = b"something else"
    assert flow.images.fetch(bad_sha) is None and flow.photo_cache.cached(bad_sha) is None


def test_a_topic_arriving_fetches_its_image_before_anyone_looks(make_context, topic_hub):
    ctx = make_context()
    ctx.deliberation.photo_cache = TaskPhotoCache(ctx.config.data_dir, topic_hub.url, CREDS)
    pokes: list[int] = []
    ctx.on_change = lambda: pokes.append(1)  # the app's coalesced refresh
    ctx._downlink(topic_message(ctx, [IMAGE_SHA]))  # the sync thread hands it over
    deadline = time.monotonic() + 10
    while ctx.deliberation.photo_cache.cached(IMAGE_SHA) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ctx.deliberation.photo_cache.cached(IMAGE_SHA).read_bytes() == IMAGE
    while len(pokes) < 2 and time.monotonic() < deadline:  # the arrival, then the fetch done
        time.sleep(0.02)
    assert len(pokes) == 2
    ctx._downlink(topic_message(ctx, [OTHER_SHA], state="withdrawn"))  # a withdrawn topic's image is not fetched
    ctx._downlink(topic_message(ctx, []))
    assert topic_hub.calls == [IMAGE_SHA]


def shot(tmp_path, language: str, mode: str, name: str):
    out = (ARTIFACTS if language == "zh" else ARTIFACTS / language) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "tests.terminal.app.deliberation_shots", language,
                           str(tmp_path / f"data-{language}-{mode}"), str(out), mode], cwd=REPO,
                          env=kivy_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (1080, 1920)
    return image


def test_the_screen_shows_the_image_or_its_placeholder(tmp_path):
    for language in ("zh", "en"):
        image = shot(tmp_path, language, "image", "kiosk_state_deliberation_image.png")
        photo = image[330:560, 780:1500]  # the topic's photo, under the title: a picture, not the empty box
        assert photo.std() > 25, photo.std()
    empty = shot(tmp_path, "zh", "placeholder", "kiosk_state_deliberation_image_placeholder.png")
    box = empty[330:560, 780:1500]
    assert box.std() < photo.std()  # the dark box with one line of text
