"""回访 on the wire: the optional resident_key on reports (old reports stay valid), the followup uplink record and
its topic, the prompt downlink body, and the answer labels."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import protocol
from protocol import FollowupAnswer, FollowupChoice, FollowupPrompt, IncidentReport, ProtocolError, encode, uuid7
from protocol.labels import LABELS

T = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
KEY = "ab" * 32
OLD_REPORT = (b'{"v":1,"id":"01a20297-4dc0-7000-8000-000000000000","device_id":"kiosk-fs-01","seq":1,'
              b'"created_at":"2026-11-22T09:30:00Z","kind":"report","category":"C0101",'
              b'"position":{"lat":22.25,"lon":113.52,"accuracy_m":5}}')


def answer(**changes) -> FollowupAnswer:
    fields = {"id": uuid7(), "device_id": "kiosk-fs-02", "seq": 3, "created_at": T, "case_id": str(uuid7()),
              "reference": "FS-20261204-0042", "resident_key": KEY, "answer": "satisfied"} | changes
    return FollowupAnswer(**fields)


def test_a_report_without_a_card_is_valid_and_encodes_as_before():
    report = protocol.decode(IncidentReport, OLD_REPORT)
    assert report.resident_key is None and b"resident_key" not in encode(report)
    with pytest.raises(ProtocolError):
        protocol.decode(IncidentReport, OLD_REPORT.replace(b'"kind"', b'"resident_key":"440402199001011234","kind"'))


def test_the_followup_record_travels_on_its_own_uplink_topic():
    record = answer(words="还行", via="prompt")
    topic = protocol.uplink_topic_for(record)
    assert topic == "gridline/v1/dev/kiosk-fs-02/up/followup"
    parsed, decoded = protocol.decode_uplink(topic, encode(record))
    assert parsed.kind is protocol.UplinkKind.FOLLOWUP and decoded == record and protocol.is_record(decoded)
    for bad in ({"answer": "angry"}, {"resident_key": "1234"}, {"via": "phone"}, {"words": "x" * 1001}):
        with pytest.raises(ValueError):
            answer(**bad)
    with pytest.raises(ProtocolError) as refused:
        protocol.decode_uplink(topic, encode(record).replace(b'"answer"', '"name":"张三","answer"'.encode()))
    assert refused.value.reason == "invalid"


def test_the_prompt_body_is_registered_and_carries_no_free_text_field():
    prompt = FollowupPrompt(case_id=str(uuid7()), reference="FS-20261204-0042", resident_key=KEY, category="C0101",
                            closed_at=T, due_at=T)
    message = protocol.DownlinkMessage(id=uuid7(), device_id="kiosk-fs-01", kind="followup",
                                       body=prompt.model_dump(mode="json"), created_at=T)
    assert protocol.downlink_body(message) == prompt
    assert set(FollowupPrompt.model_fields) == {"case_id", "reference", "resident_key", "category", "category_name",
                                               "category_name_en", "title", "closed_at", "due_at", "withdrawn"}


def test_every_answer_has_words_in_both_languages():
    values = {c.value for c in FollowupChoice} | {"not_reached"}
    for language in ("zh-CN", "en"):
        assert {k.split(".", 1)[1] for k in LABELS[language] if k.startswith("followup.")} == values
    assert LABELS["zh-CN"]["followup.basically_satisfied"] == "基本满意"
