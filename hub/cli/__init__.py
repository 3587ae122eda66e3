"""``gridline hub ...``: one module per command group; shared helpers in :mod:`hub.cli.common`."""
from __future__ import annotations

import argparse

from hub.cli import backup, devices, operators, org, partitions, serve


def register(subparsers: argparse._SubParsersAction) -> None:
    serve.register(subparsers)  # serve, migrate
    org.register(subparsers)  # grids, community, departments
    operators.register(subparsers)  # operator accounts
    devices.register(subparsers)  # device identity, broker files
    partitions.register(subparsers)  # position partitions
    backup.register(subparsers)  # backup, restore
