"""Fuzz decode+ingest: whatever arrives, nothing escapes, every bad message is dead-lettered, and
good messages in the same batch are still committed."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.mqtt.ingest import RawMessage, decode_batch, ingest_items
from hub.store import DeadLetter
from protocol import encode, topics

from ..conftest import T0, Device

KINDS = ["report", "checkin", "position", "photo", "heartbeat", "confirm"]
VICTIM = Device("kiosk-fuzz")
OTHER = Device("phone-fuzz")

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=50))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=10)


# Fixed ids and seqs: hypothesis needs the same draws to build the same bytes on replay.
BASE_ID, SPOOF_ID = "0190a000-0000-7000-8000-000000000001", "0190a000-0000-7000-8000-000000000002"


def base_report() -> bytes:
    return encode(VICTIM.report("x", record_id=BASE_ID, seq=1))


def good_payload() -> dict:
    return json.loads(base_report())


@st.composite
def bad_message(draw) -> tuple[str, bytes, bool]:
    """(topic, payload, surely_bad)."""
    topic = topics.uplink(VICTIM.id, draw(st.sampled_from(KINDS)))
    shape = draw(st.sampled_from(["bytes", "truncated", "wrong_type", "huge", "version", "spoofed", "topic",
                                  "not_object", "nul"]))
    if shape == "bytes":
        return topic, draw(st.binary(max_size=300)), False
    base = base_report()
    if shape == "truncated":
        return topics.uplink(VICTIM.id, "report"), base[:draw(st.integers(0, len(base) - 1))], True
    data = good_payload()
    if shape == "wrong_type":
        data[draw(st.sampled_from(sorted(data)))] = draw(json_values)
        return topics.uplink(VICTIM.id, "report"), json.dumps(data).encode(), False
    if shape == "huge":
        data[draw(st.sampled_from(["note", "category", "id", "device_id"]))] = "字" * draw(st.integers(1001, 120_000))
        return topics.uplink(VICTIM.id, "report"), json.dumps(data, ensure_ascii=False).encode(), True
    if shape == "version":
        data["v"] = draw(st.one_of(st.integers().filter(lambda v: v != 1), st.text(max_size=3), st.none()))
        return topics.uplink(VICTIM.id, "report"), json.dumps(data).encode(), True
    if shape == "spoofed":
        return topics.uplink(VICTIM.id, "report"), encode(OTHER.report(record_id=SPOOF_ID, seq=1)), True
    if shape == "topic":
        return draw(st.text(max_size=80)), base, True
    if shape == "nul":
        data["note"] = "a\x00b"
        return topics.uplink(VICTIM.id, "report"), json.dumps(data).encode(), False
    return topic, json.dumps(draw(json_values)).encode(), True  # not_object (or a wrong shape)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bad=st.lists(bad_message(), min_size=1, max_size=8))
def test_no_exception_escapes_and_bad_messages_are_dead_lettered(store, bad):
    good = Device(VICTIM.id).report("after the noise")
    raws = [RawMessage(t, p, T0) for t, p, _ in bad] + [
        RawMessage(topics.uplink(VICTIM.id, "report"), encode(good), T0)
    ]
    before = store.count_dead_letters()
    items = decode_batch(raws)  # must not raise
    for (topic, payload, surely_bad), item in zip(bad, items, strict=False):
        if surely_bad:
            assert isinstance(item, DeadLetter), (topic, payload[:100])
    result = ingest_items(items, store)  # must not raise
    expected_dead = sum(isinstance(i, DeadLetter) for i in items)
    assert store.count_dead_letters() - before >= expected_dead
    assert good.id in result.devices[VICTIM.id].committed
    assert store.get_record(good.id) is not None
