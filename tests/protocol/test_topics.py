import pytest

from protocol import topics
from protocol.topics import Channel, TopicError, UplinkKind


def test_build_and_parse_round_trip_for_every_kind():
    for kind in UplinkKind:
        parsed = topics.parse(topics.uplink("kiosk-01", kind))
        assert (parsed.device_id, parsed.channel, parsed.kind) == ("kiosk-01", Channel.UPLINK, kind)
    assert topics.parse(topics.receipt("kiosk-01")).channel is Channel.RECEIPT
    assert topics.parse(topics.downlink("kiosk-01")).channel is Channel.DOWNLINK
    assert topics.parse(topics.device_status("kiosk-01")).channel is Channel.STATUS
    hub = topics.parse(topics.hub_status())
    assert (hub.device_id, hub.channel) == (None, Channel.STATUS)


@pytest.mark.parametrize("device_id", ["", "ab", "Kiosk-01", "a/b", "a+b", "a#b", "x" * 65, "-abc"])
def test_device_ids_that_could_escape_a_topic_or_acl_are_refused(device_id):
    with pytest.raises(TopicError):
        topics.uplink(device_id, UplinkKind.REPORT)


@pytest.mark.parametrize("topic", [
    "gridline/v2/dev/kiosk-01/up/report",
    "gridline/v1/dev/kiosk-01/up/unknown",
    "gridline/v1/dev/kiosk-01/up/report/extra",
    "gridline/v1/dev/KIOSK/up/report",
    "gridline/v1/dev/kiosk-01",
    "other/topic",
])
def test_parse_refuses_topics_outside_the_scheme(topic):
    with pytest.raises(TopicError) as err:
        topics.parse(topic)
    assert err.value.reason in {"unknown_topic", "unknown_kind", "bad_device_id"}


def test_filters_match_what_they_should():
    from paho.mqtt.client import topic_matches_sub

    up = topics.uplink("kiosk-01", UplinkKind.CHECKIN)
    assert topic_matches_sub(topics.all_uplinks_filter(), up)
    assert not topic_matches_sub(topics.all_uplinks_filter(), topics.receipt("kiosk-01"))
    assert topic_matches_sub(topics.all_device_status_filter(), topics.device_status("kiosk-01"))
    assert topics.shared(topics.all_uplinks_filter(), "hub") == "$share/hub/gridline/v1/dev/+/up/+"
    with pytest.raises(ValueError):
        topics.shared("x", "bad/group")
