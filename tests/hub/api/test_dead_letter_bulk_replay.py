"""Replaying many dead letters at once (``POST /api/dead-letters/replay``), over a real store, SQLite and PostgreSQL:
picked ids with mixed outcomes (stored, already stored, refused again with the new reason, a cut payload, another
community's letter and an id that does not exist - both "not found", untouched), every letter matching a filter
(counted first by ``GET /api/dead-letters/unreplayed``, bounded by the id that was counted, never replayed twice),
the 500 cap refused before anything is replayed, and no letter ever deleted."""
from __future__ import annotations

from hub.mqtt.ingest import ingest_batch
from hub.mqtt.replay import BULK_CAP, replays_of
from hub.store import DeadLetter
from hub.store import dead_letters as dead_letter_rows
from protocol import encode, uplink_topic_for
from tests.hub.conftest import T0, Device, raw

from .test_admin_replay_and_exports import CUIWEI, FUSHI, bearer, client, letter  # noqa: F401 - fixture


def all_letters(store) -> dict[int, str]:
    return {d.id: d.reason for d in store.list_dead_letters(limit=10_000)}


def test_picked_letters_mixed_outcomes_scope_and_nothing_lost(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    other = sign_in(client, store, role="admin", scope=CUIWEI, username="cw-admin", set_default=False)
    clerk = sign_in(client, store, role="dispatcher", scope=FUSHI, username="fs-clerk", set_default=False)
    kiosk = Device("kiosk-fs-01")
    late = [letter(store, "kiosk-fs-01", encode(kiosk.report(f"路灯不亮 {i}")), "store_error") for i in range(2)]
    stored_before = kiosk.report("已经保存过")
    ingest_batch([raw(stored_before)], store)
    again = letter(store, "kiosk-fs-01", encode(stored_before), "store_error")
    junk = letter(store, "kiosk-fs-01", b"{not json", "not_json")
    cut = letter(store, "kiosk-fs-01", encode(kiosk.report("长" * 500)), "too_large")  # cut to the cap of 1024
    theirs = letter(store, "kiosk-cw-01", encode(Device("kiosk-cw-01").report()), "store_error")
    kept = all_letters(store)
    assert client.post("/api/dead-letters/replay", json={"ids": late}, headers=bearer(clerk)).status_code == 403

    answer = client.post("/api/dead-letters/replay", json={"ids": [junk, *late, again, cut, theirs, 999_999]})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    by_id = {i["id"]: i for i in out["items"]}
    assert [i["id"] for i in out["items"]] == sorted(by_id)  # oldest first
    assert (out["requested"], out["replayed"], out["refused_again"], out["skipped"]) == (7, 3, 1, 3)
    assert out["outcomes"] == {"stored": 2, "duplicate": 1, "dead": 1, "skipped": 3}
    assert out["reasons"] == {"not_json": 1, "truncated": 1, "not_found": 2}
    assert [by_id[i]["outcome"] for i in late] == ["stored", "stored"] and by_id[again]["outcome"] == "duplicate"
    assert (by_id[junk]["outcome"], by_id[junk]["reason"]) == ("dead", "not_json")
    assert (by_id[cut]["outcome"], by_id[cut]["reason"]) == ("skipped", "truncated")
    assert by_id[theirs] == by_id[999_999] | {"id": theirs}  # out of scope reads exactly as not there
    assert by_id[theirs]["reason"] == "not_found" and out["remaining"] is None
    assert store.count_records(device_id="kiosk-fs-01") == 3  # the two late reports, and the one stored before

    # Nothing lost: every letter is still there; the one refused again has its replay naming the new letter.
    after = all_letters(store)
    new_id = by_id[junk]["new_dead_letter_id"]
    assert after == kept | {new_id: "not_json"}
    history = replays_of(store, [junk, theirs, cut])
    assert [(r.outcome, r.new_dead_letter_id) for r in history[junk]] == [("dead", new_id)]
    assert history[theirs] == [] and history[cut] == []  # skipped: not touched
    assert client.get(f"/api/dead-letters/{theirs}", headers=bearer(other)).json()["replays"] == []

    # The other community's admin replays their own; ours are not there for them.
    theirs_too = client.post("/api/dead-letters/replay", json={"ids": [theirs, late[0]]}, headers=bearer(other)).json()
    assert [(i["id"], i["outcome"], i["reason"]) for i in theirs_too["items"]] == [
        (late[0], "skipped", "not_found"), (theirs, "stored", "")]
    assert [r.outcome for r in replays_of(store, [late[0]])[late[0]]] == ["stored"]  # untouched by them


def test_all_matching_a_filter_counted_bounded_and_capped(client, store, sign_in):
    sign_in(client, store, role="admin", scope=FUSHI, username="fs-admin")
    kiosk, phone = Device("kiosk-fs-01"), Device("kiosk-fs-02")
    topic = uplink_topic_for(kiosk.report())
    with store.write() as conn:  # after an outage: the store was down for one kiosk's 503 reports
        dead_letter_rows.insert(conn, [DeadLetter(topic, encode(kiosk.report(f"第{i}条")), T0, "store_error",
                                                  "OperationalError", "kiosk-fs-01") for i in range(BULK_CAP + 3)],
                                store.dead_letter_cap)
    for _ in range(2):
        letter(store, "kiosk-fs-02", b"{not json", "not_json")
    letter(store, "kiosk-cw-01", encode(Device("kiosk-cw-01").report()), "store_error")  # another community's

    counted = client.get("/api/dead-letters/unreplayed", params={"reason": "store_error"}).json()
    assert counted["count"] == BULK_CAP + 3 and counted["cap"] == BULK_CAP  # not the other community's
    assert client.get("/api/dead-letters/unreplayed").json()["count"] == BULK_CAP + 5

    # More than the cap: refused with the count, before anything is replayed.
    refused = client.post("/api/dead-letters/replay", json={"match": {"reason": "store_error"}})
    assert refused.status_code == 422
    assert refused.json()["detail"] | {"zh": "", "en": ""} == {"code": "too_many", "count": BULK_CAP + 3,
                                                               "cap": BULK_CAP, "zh": "", "en": ""}
    assert "500" in refused.json()["detail"]["zh"] and "500" in refused.json()["detail"]["en"]
    picked = client.post("/api/dead-letters/replay", json={"ids": list(range(1, BULK_CAP + 2))})
    assert picked.status_code == 422 and picked.json()["detail"]["code"] == "too_many"
    assert store.count_records() == 0 and not any(replays_of(store, list(range(1, BULK_CAP + 8))).values())

    # The oldest few with a limit; what remains is said; a second run takes the next ones, never the same twice.
    first = client.post("/api/dead-letters/replay", json={"match": {"reason": "store_error"}, "limit": 3}).json()
    assert [i["id"] for i in first["items"]] == [1, 2, 3] and first["replayed"] == 3
    assert first["remaining"] == BULK_CAP
    second = client.post("/api/dead-letters/replay", json={
        "match": {"reason": "store_error", "device_id": "kiosk-fs-01"}, "limit": 2}).json()
    assert [i["id"] for i in second["items"]] == [4, 5] and store.count_records(device_id="kiosk-fs-01") == 5

    # "All matching" as confirmed: the count's newest id bounds it, a letter arriving after is left for later.
    confirm = client.get("/api/dead-letters/unreplayed", params={"device_id": "kiosk-fs-02"}).json()
    assert confirm["count"] == 2
    arriving = letter(store, "kiosk-fs-02", encode(phone.report("晚到")), "store_error")
    run = client.post("/api/dead-letters/replay", json={"match": {"device_id": "kiosk-fs-02"},
                                                        "up_to_id": confirm["up_to_id"]}).json()
    assert (run["requested"], run["refused_again"], run["reasons"]) == (2, 2, {"not_json": 2})
    assert arriving not in {i["id"] for i in run["items"]}
    # left: the one that arrived, and the two new letters of the refused ones (each stands for its original)
    assert run["remaining"] == 3
    left = client.get("/api/dead-letters/unreplayed", params={"device_id": "kiosk-fs-02"}).json()
    assert left["count"] == 3 and left["up_to_id"] == max(i["new_dead_letter_id"] for i in run["items"])

    # one of ids / match, and no limit with ids
    for bad in ({}, {"ids": [1], "match": {}}, {"ids": [1], "limit": 2}, {"match": {}, "limit": BULK_CAP + 1}):
        assert client.post("/api/dead-letters/replay", json=bad).status_code == 422, bad
