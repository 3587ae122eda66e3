"""Check-in flow presenter: QR card through the camera (cv2.QRCodeDetector) or a typed number, five kinds."""
from __future__ import annotations

import pytest

from protocol import CheckinKind, ResidentCheckin
from terminal.app.presenters.checkin import KINDS
from terminal.app.presenters.common import FlowRefused
from terminal.camera import SyntheticCameraProvider, make_card_qr
from terminal.residents import resident_key

from .conftest import DEPLOYMENT_KEY, KIOSK_SPOT

CARD = "44040219500101123X"


def stored_checkins(ctx) -> list[ResidentCheckin]:
    rows = ctx.device.store.db.execute("SELECT payload FROM records WHERE kind = 'checkin' ORDER BY seq").fetchall()
    return [ResidentCheckin.model_validate_json(r[0]) for r in rows]


def test_scanned_card_checks_in_with_the_keyed_hash_only(make_context, tmp_path):
    camera = SyntheticCameraProvider(seed=5, held_item=make_card_qr(CARD))
    ctx = make_context(camera=camera)
    flow = ctx.checkin
    assert flow.scan(), flow.message
    assert flow.resident_key == resident_key(CARD, DEPLOYMENT_KEY)
    flow.choose_kind("wellbeing")
    record = flow.submit()

    [stored] = stored_checkins(ctx)
    assert stored.id == record.id and stored.checkin_kind is CheckinKind.WELLBEING
    assert stored.resident_key == resident_key(CARD, DEPLOYMENT_KEY)
    assert (stored.position.lat, stored.position.lon) == KIOSK_SPOT
    assert flow.message == "签到成功，谢谢！" and flow.resident_key is None  # ready for the next resident
    ctx.device.store.db.execute("PRAGMA wal_checkpoint(FULL)")
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "kiosk-test-01").glob("terminal.db*"))
    assert CARD.encode() not in on_disk and CARD.lower().encode() not in on_disk


def test_no_card_in_view_asks_to_hold_it_up(make_context):
    flow = make_context(camera=SyntheticCameraProvider(seed=5)).checkin
    assert not flow.scan()
    assert flow.message == "未识别到居民卡，请将二维码对准摄像头"
    with pytest.raises(FlowRefused) as refused:
        flow.submit()
    assert refused.value.key == "checkin.card_needed"


def test_typed_card_number_is_normalised_like_a_scanned_one(make_context):
    flow = make_context().checkin
    assert not flow.type_card("4404-0219")  # punctuation: not a card number
    assert flow.message == "卡号格式不正确"
    assert flow.type_card(CARD.lower())
    assert flow.resident_key == resident_key(CARD, DEPLOYMENT_KEY)
    with pytest.raises(FlowRefused) as refused:
        flow.submit()
    assert refused.value.key == "checkin.kind_needed"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_offered_labelled_and_recorded(make_context, kind):
    ctx = make_context()
    flow = ctx.checkin
    label = flow.kind_label(kind)
    assert label and label != f"checkin.{kind.value}"
    flow.type_card(CARD)
    flow.choose_kind(kind.value)
    flow.set_note("想咨询租房合同")
    flow.submit()
    [stored] = stored_checkins(ctx)
    assert stored.checkin_kind is kind and stored.note == "想咨询租房合同"


def test_kinds_cover_wellbeing_and_the_four_services():
    assert [k.value for k in KINDS] == ["wellbeing", "service_legal", "service_mediation", "service_repair",
                                        "service_other"]
