"""Every registered device gets the hub's current category list once per change, also across hub restarts."""
from __future__ import annotations

import json

from hub import sample
from hub.org.geojson_io import load_community
from hub.org.taxonomy import install_taxonomy, set_enabled
from hub.org.taxonomy_sync import TaxonomySync, current_taxonomy
from protocol import TaxonomyBody


def taxonomy_rows(store) -> list:
    return [r for d in sample.devices() for r in store.list_downlinks(d.id, limit=100) if r.kind == "taxonomy"]


def test_one_list_per_device_per_change(store):
    load_community(store, sample.load_raw())
    install_taxonomy(store)
    sync = TaxonomySync(store, clock=store.clock)
    assert sync.run_once() == len(sample.devices()) == 41
    assert sync.run_once() == 0
    body = taxonomy_rows(store)[0].body
    first = TaxonomyBody.model_validate(json.loads(body) if isinstance(body, str) else body)
    assert "E0101" in {c.code for c in first.categories}

    set_enabled(store, "E0101", False)  # an admin retires a category
    assert TaxonomySync(store, clock=store.clock).run_once() == 41  # e.g. another hub worker
    assert sync.run_once() == 0  # the list changed: this one looks before sending, and finds it all sent
    newest = current_taxonomy(store, store.clock())
    assert newest.revision != first.revision and "E0101" not in {c.code for c in newest.categories}
    assert TaxonomySync(store, clock=store.clock).run_once() == 0


def test_nothing_to_send_without_categories(store):
    load_community(store, sample.load_raw())
    assert TaxonomySync(store, clock=store.clock).run_once() == 0
