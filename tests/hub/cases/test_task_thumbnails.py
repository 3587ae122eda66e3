"""Thumbnails in the phone's task and the full photo on demand (SQLite and PostgreSQL): a task dispatched before its
photo arrived goes out labelled but without a JPEG and is sent again with it once the photo is assembled; thumbnails
are encoded once (disk cache by sha256) and labelled report / before / after; ``GET /api/device/photos/{sha}`` answers
a device with its own broker password only for photos of cases it holds an open task for."""
from __future__ import annotations

import base64
import hashlib
import json

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.cases.dispatch import Dispatcher
from hub.cases.thumbnails import make_thumbnail
from hub.devices.identities import DeviceRegistry
from hub.mqtt.ingest import ingest_batch
from hub.settings import HubSettings
from hub.store.rows import RecordRow
from protocol import uuid7
from protocol.messages import MAX_THUMBNAIL_BYTES, PhotoRole

from ..conftest import Device, raw
from .dispatch_fixtures import FIX, GRID, INSIDE, STRADDLING, drain, far_lon, latest, make_service, tasks_for, tick


def photo(seed: int, size: tuple[int, int] = (1280, 960)) -> bytes:
    """A camera-sized JPEG with texture (a flat image would make an unrealistically small thumbnail)."""
    rng = np.random.default_rng(seed)
    w, h = size
    image = cv2.resize(rng.integers(0, 255, (h // 40, w // 40, 3), dtype=np.uint8), (w, h),
                       interpolation=cv2.INTER_CUBIC)
    cv2.putText(image, f"photo {seed}", (60, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 4, (255, 255, 255), 8)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return jpeg.tobytes()


def upload(store, device_id: str, data: bytes) -> str:
    chunks = Device(device_id).photo_chunks(data, chunk=60_000)
    ingest_batch([raw(c) for c in chunks], store)
    return chunks[0].sha256


def report_with(clock, sha: str, device: str = "kiosk-1", lon: float = 113.52) -> RecordRow:
    body = json.dumps({"category": "E0101", "note": "垃圾堆积", "photos": [{"sha256": sha}],
                       "position": {"lat": 22.25, "lon": lon, "accuracy_m": 5.0}})
    return RecordRow(uuid7(), device, 1, "report", body, hashlib.sha256(body.encode()).hexdigest(), clock(), clock())


def test_make_thumbnail_is_small_and_a_jpeg():
    thumb = make_thumbnail(photo(1))
    assert thumb is not None and thumb.startswith(b"\xff\xd8\xff")
    assert 1000 < len(thumb) <= MAX_THUMBNAIL_BYTES
    decoded = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_COLOR)
    assert max(decoded.shape[:2]) == 160
    assert make_thumbnail(b"not an image") is None


def test_task_goes_out_without_the_photo_and_again_with_its_thumbnail_when_it_arrives(store, clock):
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service)
    data = photo(2)
    sha = hashlib.sha256(data).hexdigest()
    case_id = service.open_case_from_report(report_with(clock, sha), INSIDE).case.id
    drain(dispatcher)
    first = latest(store, "phone-g1")
    assert first.why == "dispatch" and first.photos == [sha]
    (label,) = first.thumbnails
    assert (label.sha256, label.role, label.jpeg_b64) == (sha, PhotoRole.REPORT, None)  # not at the hub yet

    tick(clock)  # task messages are ordered by their time
    upload(store, "kiosk-1", data)
    drain(dispatcher)
    update = latest(store, "phone-g1")
    assert update.why == "update" and update.case_id == case_id
    (label,) = update.thumbnails
    thumb = base64.b64decode(label.jpeg_b64)
    assert thumb == make_thumbnail(data) and len(thumb) <= MAX_THUMBNAIL_BYTES
    assert dispatcher.thumbnails.cache_path(sha).read_bytes() == thumb
    assert latest(store, "kiosk-1").thumbnails[0].jpeg_b64 == label.jpeg_b64  # the informed kiosk too

    # nothing more to do: no third copy, and a reminder reuses the cached thumbnail rather than encoding again
    sent = len(tasks_for(store, "phone-g1"))
    drain(dispatcher)
    assert len(tasks_for(store, "phone-g1")) == sent
    encoded = dispatcher.thumbnails.encoded
    (delivery,) = [d for d in dispatcher.deliveries(case_id) if d.device_id == "phone-g1"]
    tick(clock)
    reminder = dispatcher.remind(delivery.id)
    assert reminder is not None and dispatcher.thumbnails.encoded == encoded
    assert json.loads(reminder.body)["thumbnails"][0]["jpeg_b64"] == label.jpeg_b64


def test_a_fresh_dispatcher_finds_tasks_another_worker_sent_without_the_photo(store, clock):
    service = make_service(store, clock)
    data = photo(3)
    sha = hashlib.sha256(data).hexdigest()
    service.open_case_from_report(report_with(clock, sha), INSIDE)
    drain(Dispatcher(store, service))
    assert latest(store, "phone-g1").thumbnails[0].jpeg_b64 is None
    tick(clock)
    upload(store, "kiosk-1", data)
    drain(Dispatcher(store, service))  # a restarted hub, or the other worker: its first pass looks over open tasks
    assert latest(store, "phone-g1").thumbnails[0].jpeg_b64 is not None


def test_evidence_is_labelled_before_and_after(store, clock):
    service = make_service(store, clock)
    dispatcher = Dispatcher(store, service)
    report_sha = upload(store, "kiosk-1", photo(4))
    case_id = service.open_case_from_report(report_with(clock, report_sha), INSIDE).case.id
    drain(dispatcher)
    tick(clock)
    before, after = upload(store, "phone-g1", photo(5)), upload(store, "phone-g1", photo(6))
    service.transition(case_id, "accept", "g1", actor_device="phone-g1")
    service.transition(case_id, "arrive", "g1", actor_device="phone-g1", evidence=[before],
                       position=FIX["position"])
    service.transition(case_id, "resolve", "g1", actor_device="phone-g1", note="已清理", evidence=[after],
                       position=FIX["position"])
    drain(dispatcher)
    verifier_tasks = [t for d in ("phone-w1", "phone-d1", "phone-g1") for t in tasks_for(store, d)
                      if t.case_id == case_id and t.case_state == "resolved" and not t.withdrawn]
    assert verifier_tasks
    labels = [(t.sha256, t.role) for t in verifier_tasks[-1].thumbnails]
    assert labels == [(report_sha, PhotoRole.REPORT), (before, PhotoRole.BEFORE), (after, PhotoRole.AFTER)]
    assert all(t.jpeg_b64 for t in verifier_tasks[-1].thumbnails)


@pytest.fixture
def enrolled(store, clock):
    """phone-g1 and phone-g2 enrolled: their broker passwords, hashed in device_identities."""
    service = make_service(store, clock)
    registry = DeviceRegistry(store, clock=clock)
    passwords = {}
    for device, owner, grid in (("phone-g1", "g1", GRID), ("phone-g2", "g2", "440402004005002")):
        code = registry.register(device, kind="phone", unit_code=grid, owner_person_id=owner, by="test").code
        passwords[device] = registry.enroll(code).password
    return service, passwords


def test_device_fetches_full_photo_of_its_own_task_only(store, clock, tmp_path, enrolled):
    service, passwords = enrolled
    dispatcher = Dispatcher(store, service)
    data, other = photo(7), photo(8)
    sha = upload(store, "kiosk-1", data)
    other_sha = upload(store, "kiosk-1", other)
    case_id = service.open_case_from_report(report_with(clock, sha), INSIDE).case.id
    # another case of the same grid, ~1 km away, waiting for an operator: its photo is not the phone's to see
    service.open_case_from_report(report_with(clock, other_sha, lon=far_lon()), STRADDLING)
    drain(dispatcher)
    assert service.get(case_id).assignee == "g1"
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=clock)
    with TestClient(app) as client:
        url = f"/api/device/photos/{sha}"
        ok = client.get(url, auth=("phone-g1", passwords["phone-g1"]))
        assert ok.status_code == 200, ok.text
        assert ok.content == data and ok.headers["content-type"] == "image/jpeg"
        assert client.get(url, auth=("phone-g2", passwords["phone-g2"])).status_code == 404  # other device
        other_case = client.get(f"/api/device/photos/{other_sha}", auth=("phone-g1", passwords["phone-g1"]))
        assert other_case.status_code == 404  # other case
        bad = client.get(url, auth=("phone-g1", passwords["phone-g2"]))
        assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Basic")
        assert client.get(url).status_code == 401
        assert client.get(url, auth=("phone-nobody", "x" * 40)).status_code == 401
        # the task withdrawn (reassigned to grid 2's leader): the photo goes with it
        tick(clock)
        service.transition(case_id, "reassign", "d1", assignee="g2", reason="不属本网格")
        drain(dispatcher)
        assert client.get(url, auth=("phone-g1", passwords["phone-g1"])).status_code == 404
        assert client.get(url, auth=("phone-g2", passwords["phone-g2"])).content == data
        DeviceRegistry(store, clock=clock).revoke("phone-g2", by="test")
        assert client.get(url, auth=("phone-g2", passwords["phone-g2"])).status_code == 401
