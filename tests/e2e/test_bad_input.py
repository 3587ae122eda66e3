"""Garbage over the real broker: the hub dead-letters every bad message and keeps serving the good ones."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import topics
from terminal.device import Device

from .conftest import plain_client, wait_until

garbage = st.one_of(
    st.binary(min_size=0, max_size=400),
    st.text(max_size=200).map(str.encode),
    st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=20), st.none()),
                    max_size=6).map(lambda d: json.dumps(d).encode()),
    st.just(b'{"v":1,"kind":"report","id":"x"'),  # truncated
    st.just(json.dumps({"v": 99, "kind": "report"}).encode()),
    st.just(b"{" + b'"note":"' + "字".encode() * 100_000 + b'"}'),  # oversized
)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(bad=st.lists(st.tuples(st.sampled_from(["report", "checkin", "position", "photo", "heartbeat", "confirm"]),
                              garbage), min_size=60, max_size=100))
def test_fuzzed_payloads_over_the_broker_are_dead_lettered_and_good_records_still_flow(hub, unique, tmp_path, bad):
    store = hub.store
    dead_before = store.count_dead_letters()
    with plain_client(hub.broker_url, f"fuzz-{unique}") as client:
        for kind, payload in bad:
            client.publish(topics.uplink(f"fuzz-{unique}", kind), payload, qos=1).wait_for_publish(5)
        # good traffic from a real terminal, right behind the garbage
        with Device(f"good-{unique}", tmp_path / "good", hub.broker_url) as device:
            good = [device.position(22.25, 113.53 + i * 1e-5).id for i in range(5)]
            assert device.wait_drained(30)
    assert all(store.get_record(rid) is not None for rid in good)
    wait_until(
        lambda: store.count_dead_letters() - dead_before == len(bad), 30, message="every bad message dead-lettered"
    )
    assert hub.bridge.queue_depth == 0
