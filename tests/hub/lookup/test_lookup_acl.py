"""查进度 needs no new broker rule: the request is an uplink (``up/lookup``, under the device's own ``up/+``) and the
answer a downlink (its own ``down``), so the generated ACL already lets a kiosk ask and hear the answer, and still
keeps it out of every other device's topics."""
from __future__ import annotations

from paho.mqtt.client import topic_matches_sub

from protocol import topics
from protocol.topics import UplinkKind


def allowed(device_id: str, topic: str, access: str) -> bool:
    return any(rule.access in (access, "readwrite") and topic_matches_sub(
        rule.filter.replace(topics.ACCOUNT, device_id), topic) for rule in topics.acl_patterns().device)


def hub_allowed(topic: str, access: str) -> bool:
    return any(rule.access in (access, "readwrite") and topic_matches_sub(rule.filter, topic)
               for rule in topics.acl_patterns().hub)


def test_a_kiosk_may_ask_and_hear_the_answer_and_nothing_of_another_device():
    ask, answer = topics.uplink("kiosk-fs-02", UplinkKind.LOOKUP), topics.downlink("kiosk-fs-02")
    assert ask == "gridline/v1/dev/kiosk-fs-02/up/lookup"
    assert allowed("kiosk-fs-02", ask, "write") and allowed("kiosk-fs-02", answer, "read")
    assert not allowed("kiosk-fs-02", topics.uplink("kiosk-fs-01", UplinkKind.LOOKUP), "write")
    assert not allowed("kiosk-fs-02", topics.downlink("kiosk-fs-01"), "read")
    assert hub_allowed(ask, "read") and hub_allowed(answer, "write")
    assert topics.parse(ask).kind is UplinkKind.LOOKUP
