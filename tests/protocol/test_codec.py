import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import protocol as p

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def report(**over):
    fields = {"id": p.uuid7(), "device_id": "kiosk-01", "seq": 1, "created_at": NOW, "category": "0103",
                  "position": p.Position(lat=22.25, lon=113.53, accuracy_m=6)}
    fields.update(over)
    return p.IncidentReport(**fields)


def test_uuid7_is_time_ordered_and_well_formed():
    a = p.uuid7(1_700_000_000_000)
    b = p.uuid7(1_700_000_000_001)
    assert p.is_uuid7(a) and p.is_uuid7(b) and a < b
    assert p.uuid7_unix_ms(a) == 1_700_000_000_000
    assert len({p.uuid7() for _ in range(1000)}) == 1000


def test_encode_is_canonical_and_round_trips():
    r = report(note="井盖缺失", photos=[p.PhotoRef(sha256="ab" * 32, size=10, chunks=1)])
    raw = p.encode(r)
    assert p.encode(p.decode_uplink(p.uplink_topic_for(r), raw)[1]) == raw
    assert "井盖缺失" in raw.decode()


def test_photo_chunk_bytes_travel_as_base64():
    c = p.PhotoChunk(device_id="kiosk-01", sha256="cd" * 32, index=0, count=1, total_size=4, data=b"\x00\xff\x10\x20")
    decoded = p.decode_uplink(p.uplink_topic_for(c), p.encode(c))[1]
    assert decoded.data == b"\x00\xff\x10\x20"
    assert isinstance(json.loads(p.encode(c))["data"], str)


def reason(topic, payload):
    with pytest.raises(p.ProtocolError) as err:
        p.decode_uplink(topic, payload)
    return err.value.reason


def test_rejections_have_precise_reasons():
    r = report()
    topic = p.uplink_topic_for(r)
    good = json.loads(p.encode(r))
    assert reason(topic, b"\xff\xfe") == "not_json"
    assert reason(topic, b"[1,2]") == "not_object"
    assert reason(topic, json.dumps({**good, "v": 2}).encode()) == "unsupported_version"
    assert reason(topic, json.dumps({**good, "extra": 1}).encode()) == "invalid"
    assert reason(topic, json.dumps({**good, "seq": "x"}).encode()) == "invalid"
    assert reason(topic, json.dumps({**good, "id": "not-a-uuid"}).encode()) == "invalid"
    assert reason(topic, json.dumps({**good, "created_at": "2026-11-22T09:30:00"}).encode()) == "invalid"  # naive time
    assert reason(topic, json.dumps({**good, "device_id": "kiosk-02"}).encode()) == "device_mismatch"
    assert reason(p.topics.uplink("kiosk-01", p.UplinkKind.CHECKIN), p.encode(r)) == "kind_mismatch"
    assert reason(topic, b"{" + b" " * p.MAX_PAYLOAD_BYTES + b"}") == "payload_too_large"
    assert reason(p.topics.receipt("kiosk-01"), p.encode(r)) == "wrong_channel"
    assert reason("gridline/v1/dev/kiosk-01/up/nope", p.encode(r)) == "unknown_kind"


def test_limits_are_enforced_in_the_models():
    with pytest.raises(ValueError):
        report(note="x" * (p.MAX_NOTE_CHARS + 1))
    with pytest.raises(ValueError):
        report(photos=[p.PhotoRef(sha256="ab" * 32, size=1, chunks=1)] * (p.MAX_PHOTOS_PER_REPORT + 1))
    with pytest.raises(ValueError):
        p.PhotoChunk(device_id="kiosk-01", sha256="cd" * 32, index=0, count=1, total_size=1,
                     data=b"x" * (p.MAX_CHUNK_BYTES + 1))
    with pytest.raises(ValueError):
        p.Position(lat=91, lon=0, accuracy_m=1)


def test_downlink_expiry():
    m = p.DownlinkMessage(id=p.uuid7(), device_id="phone-01", kind="task", created_at=NOW,
                          expires_at=NOW + timedelta(hours=1))
    assert not m.expired(NOW) and m.expired(NOW + timedelta(hours=1))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_decoder_never_raises_anything_but_protocol_error(data):
    for kind in p.UplinkKind:
        try:
            p.decode_uplink(p.topics.uplink("kiosk-01", kind), data)
        except p.ProtocolError:
            pass


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["v", "id", "device_id", "seq", "kind", "created_at", "category", "position", "photos", "note", "x"]
        ),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=50),
            st.floats(allow_nan=True),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        ),
    )
)
def test_structured_garbage_is_refused_cleanly(obj):
    try:
        p.decode_uplink("gridline/v1/dev/kiosk-01/up/report", json.dumps(obj).encode())
    except p.ProtocolError as err:
        assert err.reason


def test_downlink_body_is_typed_for_tasks_and_notices_and_plain_otherwise():
    from datetime import datetime

    from protocol import DownlinkMessage, NoticeBody, ProtocolError, downlink_body, uuid7

    now = datetime.now(UTC)

    def message(kind, body):
        return DownlinkMessage(id=uuid7(), device_id="kiosk-fs-01", kind=kind, body=body, created_at=now)

    notice = downlink_body(message("notice", {"title": "停水通知", "published_at": now.isoformat()}))
    assert isinstance(notice, NoticeBody) and notice.title == "停水通知"
    assert downlink_body(message("config", {"x": 1})) == {"x": 1}
    import pytest

    with pytest.raises(ProtocolError) as refused:
        downlink_body(message("task", {"title": "no case id"}))
    assert refused.value.reason == "invalid" and "task body" in refused.value.detail
