"""The ``bulletin`` downlink (居务公开): registered for typed decoding, strict like every body, and a body at its
largest (3 images of the maximum size, the longest text and title) stays far below MAX_PAYLOAD_BYTES."""
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from protocol import (
    BULLETIN_KIND,
    DOWNLINK_BODIES,
    MAX_BULLETIN_IMAGE_BYTES,
    MAX_BULLETIN_IMAGES,
    MAX_PAYLOAD_BYTES,
    BulletinBody,
    DownlinkMessage,
    NoticeBody,
    downlink_body,
    encode,
    uuid7,
)
from protocol.notices import MAX_BULLETIN_TEXT_CHARS

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def body(**overrides) -> dict:
    return {"notice_id": uuid7(), "version": 1, "category": "finance", "title": "财务公示", "text": "明细",
            "target_code": "440402004005", "published_at": T0.isoformat(), **overrides}


def test_bulletin_is_a_typed_downlink_kind_and_notice_is_unchanged():
    assert DOWNLINK_BODIES[BULLETIN_KIND] is BulletinBody and DOWNLINK_BODIES["notice"] is NoticeBody
    message = DownlinkMessage(id=uuid7(), device_id="kiosk-fs-01", kind="bulletin", body=body(), created_at=T0)
    typed = downlink_body(message)
    assert isinstance(typed, BulletinBody) and typed.version == 1 and not typed.withdrawn and typed.images == []
    with pytest.raises(ValidationError):  # old kiosks' model: the new fields are exactly what it would refuse
        NoticeBody.model_validate({**body(), "published_at": T0})


@pytest.mark.parametrize("bad", [
    {"surprise": 1},  # extra="forbid", like every body
    {"version": 0}, {"title": ""}, {"category": "Finance!"}, {"target_code": "has space"},
    {"expires_at": T0.isoformat()},  # must expire after it is published
    {"withdrawn": True, "images": [{"sha256": "0" * 64, "jpeg_b64": "/9j/4AAQ"}]},  # a withdrawal carries none
    {"images": [{"sha256": "0" * 64, "jpeg_b64": "/9j/4AAQ"}] * (MAX_BULLETIN_IMAGES + 1)},
    {"images": [{"sha256": "0" * 64, "jpeg_b64": "A" * ((MAX_BULLETIN_IMAGE_BYTES + 3) // 3 * 4 + 4)}]},
    {"text": "字" * (MAX_BULLETIN_TEXT_CHARS + 1)},
])
def test_invalid_bodies_are_refused(bad):
    with pytest.raises(ValidationError):
        BulletinBody.model_validate(body(**bad))


def test_the_largest_bulletin_stays_well_under_the_payload_limit():
    image = {"sha256": "0" * 64, "jpeg_b64": base64.b64encode(b"\xff" * MAX_BULLETIN_IMAGE_BYTES).decode()}
    largest = BulletinBody.model_validate(body(title="题" * 128, text="字" * MAX_BULLETIN_TEXT_CHARS, pinned=True,
                                               expires_at=(T0 + timedelta(days=30)).isoformat(),
                                               images=[image] * MAX_BULLETIN_IMAGES))
    message = DownlinkMessage(id=uuid7(), device_id="kiosk-fs-01", kind="bulletin",
                              body=largest.model_dump(mode="json"), created_at=T0)
    size = len(encode(message))
    assert size < MAX_PAYLOAD_BYTES * 0.6, size  # 3 x 32 KiB base64 + 4000 CJK characters (UTF-8)
