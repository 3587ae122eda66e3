"""A kiosk fetches the images of the 议事 topics delivered to it over ``GET /api/device/photos/{sha256}`` (its own
broker account): a topic's image answers for a kiosk bound in the topic's unit subtree, while the topic is not
withdrawn (closed still shows); a kiosk of another grid, a phone of the same grid, an image no topic cites and a
withdrawn topic's image read as absent (404). The task-photo rule stays as it is (tests/hub/cases/
test_task_thumbnails.py). SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.deliberation import repo
from hub.deliberation.service import DeliberationService
from hub.devices.identities import DeviceRegistry
from hub.mqtt.ingest import ingest_batch
from hub.settings import HubSettings
from tests.hub.conftest import T0, Device, raw
from tests.hub.deliberation.helpers import COMMUNITY, load_sample

GRID_1, GRID_2 = COMMUNITY + "001", COMMUNITY + "002"


def upload(store, device_id: str, seed: bytes) -> tuple[str, bytes]:
    data = b"\x89PNG\r\n\x1a\n" + seed * 400
    ingest_batch([raw(c) for c in Device(device_id).photo_chunks(data)], store)
    return hashlib.sha256(data).hexdigest(), data


def open_topic(store, unit_code: str, images: list[str]) -> str:
    service = DeliberationService(store, store.clock)
    return service.open_topic(scope=COMMUNITY, unit_code=unit_code, title="文明养犬公约（草案）", background="请看图",
                              images=images, comments_until=T0.replace(year=T0.year + 1), vote=None,
                              representatives=None, eligible_count=None, by="op-test")


@pytest.fixture
def devices(store):
    """Enrolled devices and their broker passwords: a kiosk in grid 1, one in grid 2, a phone in grid 1."""
    load_sample(store)
    registry = DeviceRegistry(store, clock=store.clock)
    passwords = {}
    for device, kind, unit in (("kiosk-img-01", "kiosk", GRID_1), ("kiosk-img-02", "kiosk", GRID_2),
                               ("phone-img-01", "phone", GRID_1)):
        passwords[device] = registry.enroll(registry.register(device, kind=kind, unit_code=unit, by="test").code
                                            ).password
    return passwords


def test_kiosks_under_the_topic_fetch_its_images_until_it_is_withdrawn(store, devices, tmp_path):
    grid_image, grid_bytes = upload(store, "kiosk-img-01", b"grid-one")
    wide_image, wide_bytes = upload(store, "kiosk-img-02", b"community")
    loose_image, _ = upload(store, "kiosk-img-01", b"no-topic")
    grid_topic = open_topic(store, GRID_1, [grid_image])
    open_topic(store, COMMUNITY, [wide_image])
    app = create_app(HubSettings(data_dir=tmp_path / "data"), store=store, start_bridge=False, clock=store.clock)

    def get(device: str, sha: str):
        return client.get(f"/api/device/photos/{sha}", auth=(device, devices[device]))

    with TestClient(app) as client:
        ok = get("kiosk-img-01", grid_image)
        assert ok.status_code == 200, ok.text
        assert ok.content == grid_bytes and ok.headers["content-type"] == "image/png"
        assert get("kiosk-img-02", grid_image).status_code == 404  # another grid: the topic is not delivered there
        assert get("phone-img-01", grid_image).status_code == 404  # the same grid, but topics go to kiosks only
        for kiosk in ("kiosk-img-01", "kiosk-img-02"):  # the community's topic reaches both grids' kiosks
            assert get(kiosk, wide_image).content == wide_bytes
        assert get("kiosk-img-01", loose_image).status_code == 404  # uploaded, but no topic cites it
        assert get("kiosk-img-01", "0" * 64).status_code == 404
        assert client.get(f"/api/device/photos/{grid_image}",
                          auth=("kiosk-img-01", devices["kiosk-img-02"])).status_code == 401

        with store.write() as conn:  # closed: the kiosks still show it
            repo.update_topic(conn, grid_topic, {"state": "closed"})
        assert get("kiosk-img-01", grid_image).status_code == 200
        with store.write() as conn:  # withdrawn: it leaves the kiosks, and so does its image
            repo.update_topic(conn, grid_topic, {"state": "withdrawn"})
        assert get("kiosk-img-01", grid_image).status_code == 404
        assert get("kiosk-img-01", wide_image).status_code == 200

        DeviceRegistry(store, clock=store.clock).revoke("kiosk-img-02", by="test")
        assert get("kiosk-img-02", wide_image).status_code == 401


def test_the_rule_reads_the_topics_as_the_delivery_does(store, devices):
    image, _ = upload(store, "kiosk-img-01", b"rule")
    topic_id = open_topic(store, GRID_2, [image])
    with store.read() as conn:
        assert [d for d in repo.kiosks_under(conn, GRID_2) if repo.kiosk_shows_image(conn, d, image)] == \
            repo.kiosks_under(conn, GRID_2)
        assert not repo.kiosk_shows_image(conn, "kiosk-img-01", image)
        other = image[:-1] + ("1" if image[-1] == "0" else "0")
        assert not repo.kiosk_shows_image(conn, "kiosk-img-02", other)  # one digit off: not the image
        assert (repo.topic(conn, topic_id) or {}).get("images") == [image]
