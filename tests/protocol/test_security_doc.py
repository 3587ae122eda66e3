"""docs/security.md, protocol.topics.acl_patterns() and the ACL file the hub writes must agree: the doc shows the
generated file verbatim, and the rules allow exactly what each side of the protocol publishes and subscribes to."""
import re
from pathlib import Path

from paho.mqtt.client import topic_matches_sub

from hub.devices.mosquitto_auth import acl_file
from protocol import topics
from protocol.topics import UplinkKind

DOC = (Path(__file__).parents[2] / "docs" / "security.md").read_text(encoding="utf-8")


def documented_acl_files() -> dict[str, str]:
    """{hub account: the ACL file shown for it}."""
    return {user: text + "\n" for user, text in re.findall(r"<!-- acl-file: (\S+) -->\n```\n(.*?)\n```", DOC, re.S)}


def test_the_doc_shows_the_acl_file_the_hub_writes():
    shown = documented_acl_files()
    assert list(shown) == ["gridline-hub"]
    for hub_user, text in shown.items():
        assert text == acl_file(hub_user)


def test_the_file_is_the_protocol_rules():
    rules = topics.acl_patterns()
    lines = [line for line in acl_file("gridline-hub").splitlines() if line and not line.startswith("#")]
    assert lines == ["user gridline-hub", *(f"topic {r.access} {r.filter}" for r in rules.hub),
                     *(f"pattern {r.access} {r.filter}" for r in rules.device)]


def _allows(rules, access: str, topic: str, account: str | None = None) -> bool:
    return any(rule.access in (access, "readwrite")
               and topic_matches_sub(rule.filter.replace(topics.ACCOUNT, account or topics.ACCOUNT), topic)
               for rule in rules)


def test_each_side_may_do_what_the_protocol_needs_and_a_device_nothing_of_another_devices():
    rules = topics.acl_patterns()
    me, other = "kiosk-a-01", "kiosk-b-01"
    for kind in UplinkKind:
        assert _allows(rules.device, "write", topics.uplink(me, kind), me)
        assert not _allows(rules.device, "write", topics.uplink(other, kind), me)
        assert _allows(rules.hub, "read", topics.uplink(other, kind))
    assert _allows(rules.device, "write", topics.device_status(me), me)
    assert not _allows(rules.device, "write", topics.device_status(other), me)
    for topic in topics.device_subscriptions(me):
        assert _allows(rules.device, "read", topic, me)
    for topic in topics.device_subscriptions(other)[:2]:  # another device's receipts and downlink
        assert not _allows(rules.device, "read", topic, me)
        assert not _allows(rules.device, "write", topic, me)
    assert not _allows(rules.device, "write", topics.hub_status(), me)
    # the hub: its subscription filters are rules as they stand; it writes every receipt and downlink, its status
    assert {topics.all_uplinks_filter(), topics.all_device_status_filter()} <= {r.filter for r in rules.hub
                                                                                 if r.access == "read"}
    for topic in (topics.receipt(other), topics.downlink(other), topics.hub_status()):
        assert _allows(rules.hub, "write", topic)
    assert not _allows(rules.hub, "write", topics.uplink(other, UplinkKind.REPORT))
