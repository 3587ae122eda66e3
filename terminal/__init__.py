"""Gridline terminal core: local store, durable outbox, sync link, inbox (no kivy here)."""
