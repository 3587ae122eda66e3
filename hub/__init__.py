"""Gridline hub: ingest over MQTT, store, receipts, downlinks, HTTP API."""
