"""The hub as operating-system processes: in-process runner (demo, tests), the worker pool behind
``serve --workers N``, malloc tuning and memory diagnostics."""
