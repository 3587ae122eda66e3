"""The hub's MQTT side: the bridge (the only owner of paho), its client, ingest of raw messages into the store,
the per-device uplink limit, and the embedded broker for demos."""
