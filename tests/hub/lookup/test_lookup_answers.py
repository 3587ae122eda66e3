"""查进度 at the hub: a kiosk's LookupRequest is answered once, by downlink, about cases of its own community only,
with no personal data; a case elsewhere reads as not found; a device that is not a kiosk is refused."""
from __future__ import annotations

import json

from hub import sample
from hub.cases import CaseService, views_repo
from hub.cases import repo as cases_repo
from hub.cases.intake import CaseIntake
from hub.lookup.job import LookupResponder
from hub.mqtt.ingest import ingest_batch
from hub.org.geojson_io import load_community
from hub.org.repo import DeviceBinding, Unit, save_device_bindings, save_units
from hub.org.taxonomy import install_taxonomy
from protocol import IncidentReport, LookupAnswer, LookupRequest, Position, uuid7

from ..conftest import T0, raw

OTHER_COMMUNITY = "440402004099"


def setup(store, clock):
    install_taxonomy(store)
    load_community(store, sample.load_raw())
    with store.write() as conn:
        save_units(conn, [Unit(OTHER_COMMUNITY, "community", "别的社区", "440402004", abbr="BD"),
                          Unit(OTHER_COMMUNITY + "001", "grid", "别的社区第一网格", OTHER_COMMUNITY)], T0)
        save_device_bindings(conn, [DeviceBinding("kiosk-bd-01", "kiosk", OTHER_COMMUNITY + "001")])
    grid1 = next(g for g in sample.grids() if g.code.endswith("001"))
    lon, lat = grid1.centre()
    report = IncidentReport(id=uuid7(), device_id="kiosk-fs-01", seq=1, created_at=T0, category="C0101",
                            note="张三家门口井盖丢了，电话13800000000",
                            position=Position(lat=lat, lon=lon, accuracy_m=5))
    ingest_batch([raw(report)], store)
    service = CaseService(store, clock=clock)
    assert CaseIntake(store, service).run_once() == 1
    return service, report


def ask(store, device_id: str, query: str, seq: int = 1) -> LookupRequest:
    request = LookupRequest(id=uuid7(), device_id=device_id, seq=seq, created_at=T0, query=query)
    ingest_batch([raw(request)], store)
    return request


def answers(store, device_id: str) -> list[LookupAnswer]:
    return [LookupAnswer.model_validate(json.loads(row.body)) for row in store.list_downlinks(device_id)
            if row.kind == "lookup"]


def test_a_kiosk_of_the_community_gets_state_names_and_deadline_but_no_personal_data(store, clock):
    service, report = setup(store, clock)
    responder = LookupResponder(store, None, clock)
    code = report.id[-6:]
    by_code = ask(store, "kiosk-fs-02", code)
    assert responder.run_once() == 1
    [answer] = answers(store, "kiosk-fs-02")
    assert answer.request_id == by_code.id and answer.status == "found"
    [found] = answer.cases
    assert found.receipt_code == code and found.reference.startswith("FS-")
    assert (found.category, found.category_name, found.category_name_en) == ("C0101", "上水井盖",
                                                                            "Water supply manhole cover")
    assert found.state in ("filed", "dispatched", "reported") and found.public_note == ""
    body = json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)
    for private in ("张三", "13800000000", "kiosk-fs-01", "p-lead", "lat", "lon"):
        assert private not in body, private

    by_reference = ask(store, "kiosk-fs-03", found.reference.replace("-", "").lower(), seq=1)
    assert responder.run_once() == 1
    assert responder.run_once() == 0  # each request answered once
    [again] = answers(store, "kiosk-fs-03")
    assert again.request_id == by_reference.id and again.cases[0].reference == found.reference


def test_a_public_note_shows_only_once_approved(store, clock):
    service, report = setup(store, clock)
    with store.write() as conn:
        [case] = views_repo.lookup_cases(conn, report.id[-6:], scope_units=None)
        assert cases_repo.set_public_note(conn, case["id"], "井盖已报修", "op-1", T0)
    ask(store, "kiosk-fs-01", report.id[-6:])
    LookupResponder(store, None, clock).run_once()
    [answer] = answers(store, "kiosk-fs-01")
    assert answer.cases[0].public_note == "井盖已报修"


def test_other_communities_see_nothing_and_other_devices_are_refused(store, clock):
    _, report = setup(store, clock)
    ask(store, "kiosk-bd-01", report.id[-6:])
    ask(store, "phone-fs-lead-01", report.id[-6:])
    ask(store, "kiosk-unbound-01", report.id[-6:])
    assert LookupResponder(store, None, clock).run_once() == 3
    assert [(a.status, a.cases) for a in answers(store, "kiosk-bd-01")] == [("not_found", [])]
    assert [a.status for a in answers(store, "phone-fs-lead-01")] == ["refused"]
    assert [a.status for a in answers(store, "kiosk-unbound-01")] == ["refused"]


def test_result_thumbnails_are_small_jpegs_within_the_protocol_limit():
    import cv2
    import numpy as np

    from hub.lookup.answer import THUMB_LONG_SIDE, thumbnail
    from protocol.messages import MAX_THUMBNAIL_B64
    from terminal.photos import synthetic_photo

    for width, height in ((4000, 3000), (1280, 960), (160, 120)):
        small = thumbnail(synthetic_photo(5, width, height))
        assert small is not None and small[:2] == b"\xff\xd8"
        image = cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_COLOR)
        assert max(image.shape[:2]) == min(THUMB_LONG_SIDE, width)
        assert len(small) * 4 / 3 <= MAX_THUMBNAIL_B64
    assert thumbnail(b"not an image") is None
