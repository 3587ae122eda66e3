"""Joining a real app to the running demo: a spare device per profile, each with a one-time enrolment code, and the
one command that enrols it and runs it (``gridline terminal run ... --enroll CODE --hub URL``).

The spares are ordinary registered devices (``hub/devices``: the same path as ``gridline hub devices add``), bound
to the sample community's first grid; the spare phone belongs to that grid's leader, so the tasks dispatched to
the leader reach it too. A restarted demo on the same data dir issues fresh codes for the same spares.
"""
from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import HubSettings
    from hub.store import HubStore

PROFILES = ("kiosk", "tablet", "phone")


@dataclass(frozen=True)
class JoinCommand:
    profile: str
    device_id: str
    code: str
    expires_at: datetime
    argv: list[str]  # after the interpreter: ["-m", "gridline", "terminal", "run", ...]

    def shell(self) -> str:
        return "gridline " + shlex.join(self.argv[2:])


def spare_devices(leader: str | None) -> list[tuple[str, str, str | None]]:
    """(device id, kind, owner) of the spares: one per profile; the phone is the grid leader's."""
    return [("kiosk-fs-join", "kiosk", None), ("tablet-fs-join", "tablet", None), ("phone-fs-join", "phone", leader)]


def example_config(profile: str) -> Path:
    return Path(str(files("terminal.app").joinpath("examples", f"{profile}.toml")))


def issue_join_commands(settings: HubSettings, store: HubStore, base_url: str, data_dir: Path, grid: str,
                        leader: str | None) -> list[JoinCommand]:
    from hub.devices.identities import IdentityError
    from hub.devices.jobs import registry_from_settings

    registry = registry_from_settings(settings, store, store.clock)
    commands = []
    for device_id, kind, owner in spare_devices(leader):
        try:
            issued = registry.register(device_id, kind=kind, unit_code=grid, owner_person_id=owner, by="demo")
        except IdentityError as exc:
            if exc.code != "exists":
                raise
            issued = registry.issue_code(device_id, by="demo")  # a demo restarted on the same data dir
        argv = ["-m", "gridline", "terminal", "run", "--profile", kind, "--config", str(example_config(kind)),
                "--enroll", issued.code, "--hub", base_url, "--data-dir", str(data_dir / "joined" / device_id)]
        commands.append(JoinCommand(kind, device_id, issued.code, issued.expires_at, argv))
    return commands


def print_join_commands(commands: list[JoinCommand]) -> None:
    if not commands:
        return
    until = min(c.expires_at for c in commands)
    print(f"  join a real app (Kivy) to this demo - one command per profile, one-time codes valid until "
          f"{until:%Y-%m-%d %H:%M} UTC:", flush=True)
    for command in commands:
        print(f"    {command.profile:<7}{command.shell()}", flush=True)
    print(f"    (from a checkout without the gridline script: {shlex.quote(sys.executable)} -m gridline ...)",
          flush=True)
