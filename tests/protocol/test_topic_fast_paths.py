"""The hub's per-message topic helpers (``uplink_parts``, ``uplink_kind``, ``device_in_topic``) agree with the full
parser and with the plain split they replaced in hub/mqtt, on generated topics as well as the known edge cases."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import topics
from protocol.topics import Channel, TopicError, UplinkKind

PREFIX = f"{topics.ROOT}/dev/"


def split_reference(topic: str) -> tuple[str, str] | None:
    """What hub/mqtt/uplink_limit.py did by hand before: prefix, exactly .../dev/{id}/up/{kind}."""
    if not topic.startswith(PREFIX):
        return None
    parts = topic.split("/")
    if len(parts) != 6 or parts[4] != "up":
        return None
    return parts[3], parts[5]


def sender_reference(topic: str) -> str | None:
    """What hub/mqtt/ingest.py's _device_in_topic did by hand before."""
    parts = topic.split("/")
    if len(parts) > 3 and "/".join(parts[:3]) == f"{topics.ROOT}/dev" and topics.valid_device_id(parts[3]):
        return parts[3]
    return None


segment = st.sampled_from(["", "up", "dev", "kiosk-01", "KIOSK", "a", "report", "status", "receipt", "x y",
                           "gridline", "v1", "+", "#", *[k.value for k in UplinkKind]]) | st.text(max_size=6)
generated = st.lists(segment, min_size=0, max_size=7).map("/".join)
near_uplinks = st.tuples(segment, segment, segment).map(lambda p: f"{PREFIX}{p[0]}/{p[1]}/{p[2]}")

EDGES = [
    "gridline/v1/dev/kiosk-01/up/report", "gridline/v1/dev//up/report", "gridline/v1/dev/up/report",
    "gridline/v1/dev/a/b/up/report", "gridline/v1/dev/kiosk-01/up/", "gridline/v1/dev/kiosk-01/up/x/y",
    "gridline/v1/dev/up/up/up", "gridline/v1/dev/x/up/up/report", "gridline/v1/dev/kiosk-01/up/report/",
    "gridline/v1/dev/kiosk-01/status", "gridline/v1/hub/status", "gridline/v1/dev", "gridline/v1/dev/",
    "gridline/v2/dev/kiosk-01/up/report", "/gridline/v1/dev/kiosk-01/up/report", "other/topic", "",
]


@pytest.mark.parametrize("topic", EDGES)
def test_edge_cases_match_the_hand_split(topic):
    assert topics.uplink_parts(topic) == split_reference(topic)
    assert topics.device_in_topic(topic) == sender_reference(topic)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(generated, near_uplinks))
def test_generated_topics_match_the_hand_split(topic):
    assert topics.uplink_parts(topic) == split_reference(topic)
    assert topics.device_in_topic(topic) == sender_reference(topic)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(generated, near_uplinks))
def test_every_topic_parse_takes_as_an_uplink_has_the_same_parts(topic):
    try:
        parsed = topics.parse(topic)
    except TopicError as refused:
        # shape-only: an uplink-shaped topic with a bad id or kind still splits; the check is parse's
        if refused.reason == "unknown_kind":
            device_id, kind = topics.uplink_parts(topic)
            assert topics.valid_device_id(device_id) and topics.uplink_kind(kind) is None
        return
    if parsed.channel is Channel.UPLINK:
        assert topics.uplink_parts(topic) == (parsed.device_id, parsed.kind.value)
        assert topics.uplink_kind(parsed.kind.value) is parsed.kind
    else:
        assert topics.uplink_parts(topic) is None
    if parsed.device_id is not None:
        assert topics.device_in_topic(topic) == parsed.device_id


def test_every_built_topic():
    for kind in UplinkKind:
        assert topics.uplink_parts(topics.uplink("kiosk-01", kind)) == ("kiosk-01", kind.value)
        assert topics.uplink_kind(kind.value) is kind
    for topic in (topics.receipt("kiosk-01"), topics.downlink("kiosk-01"), topics.device_status("kiosk-01")):
        assert topics.uplink_parts(topic) is None and topics.device_in_topic(topic) == "kiosk-01"
    assert topics.uplink_parts(topics.hub_status()) is None and topics.device_in_topic(topics.hub_status()) is None
    assert topics.uplink_kind("unknown") is None
