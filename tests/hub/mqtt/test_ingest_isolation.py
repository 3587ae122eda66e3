"""A message the database refuses (a poison message) is dead-lettered; the rest of its batch commits.
A database outage is different: it propagates so the bridge retries the whole batch."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.mqtt.ingest import ingest_batch
from hub.store import HubStore
from hub.store.engine import is_transient

from ..conftest import raw


def poison_store(store: HubStore, poison_note: str, error: Exception, monkeypatch):
    real = store.store_batch

    def store_batch(items):
        if any(getattr(getattr(i, "message", None), "note", None) == poison_note for i in items):
            raise error
        return real(items)

    monkeypatch.setattr(store, "store_batch", store_batch)


def test_poison_message_is_isolated(store, device, monkeypatch):
    good = [device.report("fine") for _ in range(3)]
    poison = device.report("poison")
    poison_store(store, "poison", sa.exc.DataError("INSERT", {}, Exception("invalid byte sequence")), monkeypatch)
    result = ingest_batch([raw(good[0]), raw(poison), raw(good[1]), raw(good[2])], store)
    assert result.devices[device.id].committed == [g.id for g in good]
    assert store.get_record(poison.id) is None
    [letter] = store.list_dead_letters(reason="store_error")
    assert letter.device_id == device.id and b"poison" in letter.payload


def test_outage_propagates_for_retry(store, device, monkeypatch):
    poison_store(store, "x", sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection")),
                 monkeypatch)
    with pytest.raises(sa.exc.OperationalError):
        ingest_batch([raw(device.report("ok")), raw(device.report("x"))], store)
    assert store.count_records() == 0 and store.count_dead_letters() == 0


def test_transient_classification():
    assert is_transient(sa.exc.OperationalError("s", {}, Exception()))
    assert not is_transient(sa.exc.IntegrityError("s", {}, Exception()))
    assert not is_transient(ValueError("bug"))
